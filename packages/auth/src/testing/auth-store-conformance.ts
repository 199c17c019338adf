import { describe } from "vitest";
import type { CodeStore } from "../contracts/code-store.js";
import type { CredentialStore } from "../contracts/credential-store.js";
import type { LoginChallengeStore } from "../contracts/login-challenge-store.js";
import type { RefreshTokenStore } from "../contracts/refresh-token-store.js";
import { type AuthStoreSuiteOptions, runAuthStoreSuite } from "./auth-store-suite.js";
import { codeStoreTests } from "./code-store-conformance.js";
import { credentialStoreTests } from "./credential-store-conformance.js";
import { loginChallengeStoreTests } from "./login-challenge-store-conformance.js";
import { refreshTokenStoreTests } from "./refresh-token-store-conformance.js";

/** The four stores `createAuthService` takes, as one adapter provides them. */
export interface AuthStores {
  /** Users' password hashes and token versions. */
  credentials: CredentialStore;
  /** Refresh token families. */
  refreshTokens: RefreshTokenStore;
  /** Verification codes. */
  codes: CodeStore;
  /** QR login challenges. */
  challenges: LoginChallengeStore;
}

/** Options of `authStoreConformance`. */
export interface AuthStoresSuiteOptions extends AuthStoreSuiteOptions<AuthStores> {
  /**
   * Registers the adapter's own tests inside the same `describe`, with the
   * same stores (`stores()` works in `it` bodies and hooks).
   */
  additionalTests?: (context: { stores: () => AuthStores }) => void;
}

/**
 * The conformance suite of the auth store contracts (`CredentialStore`,
 * `RefreshTokenStore`, `CodeStore`, `LoginChallengeStore`): the in-memory, PostgreSQL and SQLite
 * stores run it, and so should any other. Every test uses ids with a random
 * suffix, so stores that hold other data are fine.
 *
 * @example
 * ```ts
 * import { authStoreConformance } from "@lucky-im/auth/testing";
 *
 * authStoreConformance({
 *   name: "postgres",
 *   create: async () => {
 *     await createAuthTables(pool, schema);
 *     return createPostgresAuthStores(pool, { schema });
 *   },
 * });
 * ```
 */
export function authStoreConformance(options: AuthStoresSuiteOptions): void {
  runAuthStoreSuite(`${options.name} auth store conformance`, options, (stores) => {
    describe(`${options.name}: CredentialStore`, () =>
      credentialStoreTests(() => stores().credentials));
    describe(`${options.name}: RefreshTokenStore`, () =>
      refreshTokenStoreTests(() => stores().refreshTokens));
    describe(`${options.name}: CodeStore`, () => codeStoreTests(() => stores().codes));
    describe(`${options.name}: LoginChallengeStore`, () =>
      loginChallengeStoreTests(() => stores().challenges));
    options.additionalTests?.({ stores });
  });
}
