import { type Authenticator, ImError, type Principal } from "@lucky-im/core";
import type { SessionStore } from "./sessions.js";

/**
 * A custom Lucky IM {@link Authenticator}: a WebSocket client presents the
 * app's session token, and the session store says whose it is. A token that
 * is unknown, ended or expired is refused with `ImError("unauthorized")`, as
 * the contract asks; `expiresAt` lets the engine warn the client before the
 * session ends and close it when it does.
 */
export function createSessionAuthenticator(sessions: SessionStore): Authenticator {
  return {
    async authenticate(token: string): Promise<Principal> {
      const session = sessions.get(token);
      if (!session) throw new ImError("unauthorized", "unknown or expired session");
      return { userId: session.userId, expiresAt: session.expiresAt, claims: {} };
    },
  };
}
