/**
 * The identity a token proves. The sender of anything is always the
 * principal's `userId`, whatever a frame says.
 */
export interface Principal {
  /** The authenticated user's id. */
  userId: string;
  /** A device id, when the token names one. */
  deviceId?: string;
  /** A device class (`mobile`, `desktop`, `web`, ...) for the one-session-per-class policy. */
  deviceClass?: string;
  /** When the token expires (ms since epoch). */
  expiresAt?: number;
  /** The token's claims, for hooks. */
  claims: Readonly<Record<string, unknown>>;
}

/** One live connection of a user on one node. */
export interface SessionInfo {
  /** The session's id, unique in the cluster. */
  sessionId: string;
  /** Whose session. */
  userId: string;
  /** The node holding the connection. */
  nodeId: string;
  /** The device id from the token or `auth` frame, if any. */
  deviceId?: string;
  /** The device class (`web`, `mobile`, ...), if any. */
  deviceClass?: string;
  /** When the session became ready (ms since epoch). */
  connectedAt: number;
}
