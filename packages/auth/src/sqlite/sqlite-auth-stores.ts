import type { CodeStore } from "../contracts/code-store.js";
import type { CredentialStore } from "../contracts/credential-store.js";
import type { LoginChallengeStore } from "../contracts/login-challenge-store.js";
import type { RefreshTokenStore } from "../contracts/refresh-token-store.js";
import { createSqliteCodeStore } from "./sqlite-code-store.js";
import { createSqliteCredentialStore } from "./sqlite-credential-store.js";
import type { SqliteDb } from "./sqlite-db.js";
import { createSqliteLoginChallengeStore } from "./sqlite-login-challenge-store.js";
import { createSqliteRefreshTokenStore } from "./sqlite-refresh-token-store.js";

/** The four auth stores over one SQLite connection. */
export interface SqliteAuthStores {
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
 * The credential, refresh-token, code and login-challenge stores over one SQLite connection
 * (a better-sqlite3 `Database`), to spread into `createAuthService`. Run
 * `createSqliteAuthTables(db)` first. The connection is never closed here.
 */
export function createSqliteAuthStores(db: SqliteDb): SqliteAuthStores {
  return {
    credentials: createSqliteCredentialStore(db),
    refreshTokens: createSqliteRefreshTokenStore(db),
    codes: createSqliteCodeStore(db),
    challenges: createSqliteLoginChallengeStore(db),
  };
}
