import type { Principal } from "../domain/session.js";

/**
 * Turns a bearer token into a {@link Principal}. It MUST reject (with
 * `ImError("unauthorized")`) a token that is malformed, wrongly signed,
 * expired, not yet valid, for another audience or issuer, or revoked.
 */
export interface Authenticator {
  authenticate(token: string): Promise<Principal>;
}
