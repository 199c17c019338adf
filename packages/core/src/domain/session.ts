/**
 * The identity a token proves. The sender of anything is always the
 * principal's `userId`, whatever a frame says.
 */
export interface Principal {
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
  sessionId: string;
  userId: string;
  nodeId: string;
  deviceId?: string;
  deviceClass?: string;
  connectedAt: number;
}
