/**
 * WebSocket close codes used by the Lucky IM protocol.
 */
export const CloseCode = {
  /** Normal closure. */
  normal: 1000,
  /** Server going away (drain); reconnect elsewhere. */
  goingAway: 1001,
  /** Policy violation (repeated abuse). */
  policyViolation: 1008,
  /** The server cannot serve now (a dependency such as the token store is down); retry with backoff. */
  tryAgainLater: 1013,
  /** Frame larger than `maxPayload`. */
  tooLarge: 1009,
  /**
   * The client reads too slowly: its queue stayed over the transport's high-water
   * mark too long, or reached the hard limit. Reconnect and `sync` from the cursors.
   */
  tooSlow: 4008,
  /** Unauthorized: no, bad, expired or revoked token. */
  unauthorized: 4401,
  /**
   * The user is suspended or banned by an admin: their sessions are closed and new ones
   * refused until the suspension ends. Do not reconnect on your own.
   */
  suspended: 4403,
  /** Authentication did not happen within `authTimeoutMs`. */
  authTimeout: 4408,
  /** Session replaced by a newer one (single-session policy). */
  sessionReplaced: 4409,
  /** Closed for rate limiting. */
  rateLimited: 4429,
} as const;

/** One of the {@link CloseCode} values. */
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];
