/**
 * @packageDocumentation
 * The conformance kit of the `@lucky-im/auth` store contracts: vitest suites
 * that every `CredentialStore`, `RefreshTokenStore`, `CodeStore` and `LoginChallengeStore`
 * implementation runs. Import it from `@lucky-im/auth/testing` in a test
 * file; it needs `vitest` (an optional peer dependency of `@lucky-im/auth`).
 *
 * @example
 * ```ts
 * import { authStoreConformance } from "@lucky-im/auth/testing";
 * import {
 *   createMemoryCodeStore,
 *   createMemoryCredentialStore,
 *   createMemoryLoginChallengeStore,
 *   createMemoryRefreshTokenStore,
 * } from "@lucky-im/auth";
 *
 * authStoreConformance({
 *   name: "memory",
 *   create: () => ({
 *     credentials: createMemoryCredentialStore(),
 *     refreshTokens: createMemoryRefreshTokenStore(),
 *     codes: createMemoryCodeStore(),
 *     challenges: createMemoryLoginChallengeStore(),
 *   }),
 * });
 * ```
 */

export {
  type AuthStores,
  type AuthStoresSuiteOptions,
  authStoreConformance,
} from "./auth-store-conformance.js";
export type { AuthStoreSuiteOptions } from "./auth-store-suite.js";
export { codeStoreConformance, codeStoreTests } from "./code-store-conformance.js";
export {
  credentialStoreConformance,
  credentialStoreTests,
} from "./credential-store-conformance.js";
export {
  loginChallengeStoreConformance,
  loginChallengeStoreTests,
} from "./login-challenge-store-conformance.js";
export {
  refreshTokenStoreConformance,
  refreshTokenStoreTests,
} from "./refresh-token-store-conformance.js";
