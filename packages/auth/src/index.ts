/**
 * @packageDocumentation
 * Lucky IM authentication: an `Authenticator` over JWTs, token issue and
 * refresh with rotation and revocation, scrypt password hashing, encrypted
 * password login (JWE), verification codes, password reset and login by code,
 * QR-code login, and in-memory, PostgreSQL and SQLite stores.
 */

export {
  type AccountRecoveryOptions,
  type CodeRequestResult,
  normaliseRecipient,
} from "./account-recovery.js";
export {
  type AuthService,
  type AuthServiceOptions,
  createAuthService,
  type JwtSigningKey,
  type LoginContext,
  type LoginCredentials,
  type LookupContext,
  type RevokeEvent,
  type TokenPair,
} from "./auth-service.js";
export type { CodeMessage, CodeSender } from "./contracts/code-sender.js";
export type { CodeStore, StoredCode } from "./contracts/code-store.js";
export type { CredentialStore, UserCredentials } from "./contracts/credential-store.js";
export type {
  LoginChallenge,
  LoginChallengeStatus,
  LoginChallengeStore,
} from "./contracts/login-challenge-store.js";
export type {
  RefreshFamily,
  RefreshTokenRecord,
  RefreshTokenStore,
  RotateOptions,
  RotateResult,
} from "./contracts/refresh-token-store.js";
export {
  createEncryptionKeyRing,
  type EncryptionKeyRing,
  type EncryptionKeyRingOptions,
} from "./encryption-key-ring.js";
export {
  createHashPool,
  type HashPool,
  type HashPoolOptions,
  type ScryptJob,
} from "./hash-pool.js";
export type { Jwk } from "./jwk.js";
export {
  createJwtAuthenticator,
  type JwtAuthenticator,
  type JwtAuthenticatorOptions,
  type JwtVerificationKey,
  type TokenVersionSource,
} from "./jwt-authenticator.js";
export { createLoggingCodeSender, type LoggingCodeSenderOptions } from "./logging-code-sender.js";
export {
  createLoginBackoff,
  type LoginBackoff,
  type LoginBackoffOptions,
} from "./login-backoff.js";
export { createMemoryCodeStore } from "./memory/memory-code-store.js";
export { createMemoryCredentialStore } from "./memory/memory-credential-store.js";
export { createMemoryLoginChallengeStore } from "./memory/memory-login-challenge-store.js";
export { createMemoryRefreshTokenStore } from "./memory/memory-refresh-token-store.js";
export {
  createPasswordHasher,
  type HashContext,
  OWASP_MIN_LOG_N,
  type PasswordHasher,
  type PasswordHasherOptions,
} from "./password-hasher.js";
export {
  createPasswordPolicy,
  type PasswordPolicy,
  type PasswordPolicyOptions,
} from "./password-policy.js";
export { createAuthTables } from "./postgres/create-auth-tables.js";
export {
  AUTH_MIGRATION_TABLE,
  postgresAuthMigrations,
} from "./postgres/postgres-auth-migrations.js";
export {
  createPostgresAuthStores,
  type PostgresAuthStores,
} from "./postgres/postgres-auth-stores.js";
export { createPostgresCodeStore } from "./postgres/postgres-code-store.js";
export { createPostgresCredentialStore } from "./postgres/postgres-credential-store.js";
export { createPostgresLoginChallengeStore } from "./postgres/postgres-login-challenge-store.js";
export { createPostgresRefreshTokenStore } from "./postgres/postgres-refresh-token-store.js";
export type { PostgresAuthOptions, SqlPool } from "./postgres/sql-pool.js";
export type {
  LoginChallengePoll,
  LoginChallengeTicket,
  LoginChallengeView,
  QrLoginOptions,
} from "./qr-login.js";
export {
  inMemoryRateLimits,
  type RateLimit,
  type RateLimiterFactory,
  type RateLimitSpec,
} from "./rate-limits.js";
export { createSqliteAuthTables } from "./sqlite/create-sqlite-auth-tables.js";
export { sqliteAuthMigrations } from "./sqlite/sqlite-auth-migrations.js";
export { createSqliteAuthStores, type SqliteAuthStores } from "./sqlite/sqlite-auth-stores.js";
export { createSqliteCodeStore } from "./sqlite/sqlite-code-store.js";
export { createSqliteCredentialStore } from "./sqlite/sqlite-credential-store.js";
export type { SqliteDb, SqliteDbStatement } from "./sqlite/sqlite-db.js";
export { createSqliteLoginChallengeStore } from "./sqlite/sqlite-login-challenge-store.js";
export { createSqliteRefreshTokenStore } from "./sqlite/sqlite-refresh-token-store.js";
export { normalizeUsername } from "./username-policy.js";
export {
  type CodeOptions,
  createVerificationCodes,
  type VerificationCodes,
  type VerificationCodesOptions,
} from "./verification-codes.js";
