import type { CodeStore } from "../contracts/code-store.js";
import type { CredentialStore } from "../contracts/credential-store.js";
import type { LoginChallengeStore } from "../contracts/login-challenge-store.js";
import type { RefreshTokenStore } from "../contracts/refresh-token-store.js";
import { createPostgresCodeStore } from "./postgres-code-store.js";
import { createPostgresCredentialStore } from "./postgres-credential-store.js";
import { createPostgresLoginChallengeStore } from "./postgres-login-challenge-store.js";
import { createPostgresRefreshTokenStore } from "./postgres-refresh-token-store.js";
import type { PostgresAuthOptions, SqlPool } from "./sql-pool.js";

/** The four auth stores over one PostgreSQL pool. */
export interface PostgresAuthStores {
  /** Users, usernames and password hashes (`auth_credentials`); pass as `createAuth`'s `credentials`. */
  credentials: CredentialStore;
  /** Refresh-token families and their rotation (`auth_refresh_families`, `auth_refresh_tokens`). */
  refreshTokens: RefreshTokenStore;
  /** Hashed verification codes and their attempts (`auth_codes`). */
  codes: CodeStore;
  /** QR login challenges (`auth_login_challenges`). */
  challenges: LoginChallengeStore;
}

/**
 * The credential, refresh-token, code and login-challenge stores over one pool and schema, to
 * spread into `createAuthService`. Run `createAuthTables(pool, schema)` first.
 */
export function createPostgresAuthStores(
  pool: SqlPool,
  options: PostgresAuthOptions = {},
): PostgresAuthStores {
  return {
    credentials: createPostgresCredentialStore(pool, options),
    refreshTokens: createPostgresRefreshTokenStore(pool, options),
    codes: createPostgresCodeStore(pool, options),
    challenges: createPostgresLoginChallengeStore(pool, options),
  };
}
