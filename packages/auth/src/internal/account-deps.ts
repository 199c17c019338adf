import type { AuthService, LoginContext, RevokeEvent, TokenPair } from "../auth-service.js";
import type { CredentialStore, UserCredentials } from "../contracts/credential-store.js";
import type { RefreshTokenStore } from "../contracts/refresh-token-store.js";
import type { PasswordHasher } from "../password-hasher.js";
import type { PasswordPolicy } from "../password-policy.js";
import type { RateLimiterFactory } from "../rate-limits.js";
import type { CodeChecks } from "../verification-codes.js";

/** What the account flows (recovery, QR login) borrow from the auth service. */
export interface AccountDeps {
  credentials: CredentialStore;
  refreshTokens: RefreshTokenStore;
  hasher: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  /**
   * The service's code send and check (limits and attempts included); the check
   * may run `beforeConsume` once the code matched (a refusal keeps the code).
   */
  codes: {
    sendCode: AuthService["sendCode"];
    verifyCode: (...args: Parameters<CodeChecks["verify"]>) => Promise<void>;
  };
  /** Code lifetime, for the answer given when no code was sent. */
  codeTtlMs: number;
  rateLimiter: RateLimiterFactory;
  /** Issues a new refresh family and tokens to the user. */
  issue(user: UserCredentials, context: LoginContext): Promise<TokenPair>;
  /** Drops cached token versions and calls `onRevoke` (the engine kicks the user). */
  revoked(userId: string, reason: RevokeEvent["reason"]): Promise<void>;
  /** Wraps a store call: failures become `unavailable`. */
  store<T>(what: string, op: () => Promise<T>): Promise<T>;
  /** Work that must not fail the call (a code sent in the background), with what failed. */
  onError(error: unknown, context: string): void;
  /** Largest accepted password. */
  maxPassword: number;
  now(): number;
}
