import type { Principal } from "../domain/session.js";

/**
 * Turns a bearer token into a {@link Principal}. It MUST reject (with
 * `ImError("unauthorized")`) a token that is malformed, wrongly signed,
 * expired, not yet valid, for another audience or issuer, or revoked.
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
