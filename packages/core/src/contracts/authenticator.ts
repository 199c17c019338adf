import type { Principal } from "../domain/session.js";

/**
 * Turns a bearer token into a {@link Principal}. It MUST reject (with
 * `ImError("unauthorized")`) a token that is malformed, wrongly signed,
 * expired, not yet valid, for another audience or issuer, or revoked.
 *
 * When it cannot decide because its own backend is down (a JWKS endpoint, a
 * token store), it MUST reject with `ImError("unavailable")` instead: the engine
 * relies on it to close the connection with 1013 (try again later) rather than
 * 4401, so the client keeps its token, and to keep serving a session whose
 * renewal could not be checked until its current token expires. Any other
 * rejection counts as `unauthorized`.
 */
export interface Authenticator {
  /**
   * Verifies `token` (from the upgrade's `Authorization: Bearer` header or
   * the client's `auth` frame) and resolves with the user it names; rejects
   * with `ImError("unauthorized")` otherwise. Called for every connection and
   * again for every token refresh on an open connection.
   */
  authenticate(token: string): Promise<Principal>;
}
