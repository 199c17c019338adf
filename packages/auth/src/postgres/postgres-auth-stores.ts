import type { CodeStore } from "../contracts/code-store.js";
import type { CredentialStore } from "../contracts/credential-store.js";
import type { RefreshTokenStore } from "../contracts/refresh-token-store.js";
import { createPostgresCodeStore } from "./postgres-code-store.js";
import { createPostgresCredentialStore } from "./postgres-credential-store.js";
import { createPostgresRefreshTokenStore } from "./postgres-refresh-token-store.js";
import type { PostgresAuthOptions, SqlPool } from "./sql-pool.js";

/** The three auth stores over one PostgreSQL pool. */
export interface PostgresAuthStores {
  credentials: CredentialStore;
  refreshTokens: RefreshTokenStore;
  codes: CodeStore;
}

/**
 * The credential, refresh-token and code stores over one pool and schema, to
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
  };
}
