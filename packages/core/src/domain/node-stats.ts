/** One node's load, as the admin stats show it (each node broadcasts its own periodically). */
export interface NodeStats {
  /** The node. */
  nodeId: string;
  /** Open connections on the node (authenticated or not). */
  connections: number;
  /** Authenticated sessions on the node. */
  sessions: number;
  /** Messages the node stored over about the last minute, per minute. */
  messagesPerMinute: number;
  /** When the node measured this (ms since the epoch). */
  at: number;
}
