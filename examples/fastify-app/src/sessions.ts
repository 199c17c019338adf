import { randomBytes } from "node:crypto";

/** One signed-in session of the app. */
export interface Session {
  readonly userId: string;
  /** When it ends (ms since epoch). */
  readonly expiresAt: number;
}

/**
 * The app's own session store: opaque random tokens mapped to users. Stands
 * for whatever the app already has (a sessions table, Redis, a cookie store).
 */
export interface SessionStore {
  /** Opens a session for `userId`; returns its token. */
  open(userId: string): string;
  /** The live session of `token`, or undefined (unknown, ended or expired). */
  get(token: string): Session | undefined;
  /** Ends the session of `token` (logout). */
  end(token: string): void;
}

/** An in-memory session store; sessions last `ttlMs`. */
export function createSessionStore(ttlMs: number, now: () => number = Date.now): SessionStore {
  const sessions = new Map<string, Session>();
  return {
    open(userId) {
      const token = randomBytes(32).toString("base64url");
      sessions.set(token, { userId, expiresAt: now() + ttlMs });
      return token;
    },
    get(token) {
      const session = sessions.get(token);
      if (session && session.expiresAt <= now()) {
        sessions.delete(token);
        return undefined;
      }
      return session;
    },
    end(token) {
      sessions.delete(token);
    },
  };
}
