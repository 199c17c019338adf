/**
 * True when a `getToken` failure is a final "no": the error carries the
 * protocol code `unauthorized` (an `ImClientError`, core's `ImError`, or any
 * error object with that `code`). Retrying cannot help then (the refresh token
 * was revoked, the user signed out): the user must log in again. Anything else
 * (the auth server is down, a network error) may pass, so it is retried.
 */
export function isFinalTokenFailure(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as { code?: unknown }).code === "unauthorized"
  );
}
