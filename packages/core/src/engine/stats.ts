/** Counters an {@link ImServer} keeps, for metrics. All grow from zero. */
export interface ImServerStats {
  /** Authenticated sessions on this node now. */
  sessions: number;
  /** Open connections on this node now (authenticated or not). */
  connections: number;
  /** Frames received from clients since start. */
  framesIn: number;
  /** Frames sent to clients since start. */
  framesOut: number;
  /** Messages this node stored. */
  messagesStored: number;
  /** Pushes of `message` frames to sessions of this node (retries included). */
  messagesPushed: number;
  /** Pushes that were retries after a missing ack. */
  pushRetries: number;
  /** Pushes abandoned after the retry budget (left to `sync`). */
  pushesAbandoned: number;
  /** Pushed messages whose ack has not come yet. */
  pendingPushes: number;
  /** Envelopes published to other nodes. */
  envelopesPublished: number;
  /** Publishes that failed (left to the outbox relay). */
  publishFailures: number;
  /** Outbox entries the relay re-published. */
  relayed: number;
  /** Duplicate deliveries dropped by messageId. */
  duplicatesDropped: number;
  /** Frames refused by the rate limiter. */
  rateLimited: number;
}

/** A fresh set of counters. */
export function emptyStats(): ImServerStats {
  return {
    sessions: 0,
    connections: 0,
    framesIn: 0,
    framesOut: 0,
    messagesStored: 0,
    messagesPushed: 0,
    pushRetries: 0,
    pushesAbandoned: 0,
    pendingPushes: 0,
    envelopesPublished: 0,
    publishFailures: 0,
    relayed: 0,
    duplicatesDropped: 0,
    rateLimited: 0,
  };
}
