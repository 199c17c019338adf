import type { SessionInfo } from "../domain/session.js";

/** Online status of one user. */
export interface UserStatus {
  /** True while the user has a session on a live node. */
  online: boolean;
  /** When the user was last seen online (ms since epoch), if known. */
  lastSeen?: number;
}

/**
 * Which node holds which user's sessions, across the cluster.
 *
 * Invariants:
 * - A node proves it is alive with `heartbeat`; when it stops (crash), its
 *   sessions disappear from every answer within the node TTL, without anyone
 *   calling `unregister`.
 * - `nodesOf` answers for many users in one round trip.
 */
export interface Presence {
  /** Records a live session on its node. */
  register(session: SessionInfo): Promise<void>;
  /** Forgets a session (its user's `lastSeen` becomes now if it was the last). */
  unregister(session: SessionInfo): Promise<void>;
  /** Marks the node alive for one TTL. Nodes call it every TTL/3 or so. */
  heartbeat(nodeId: string): Promise<void>;
  /** Forgets a node and all its sessions (graceful shutdown). */
  removeNode(nodeId: string): Promise<void>;
  /** The live sessions of these users (on live nodes only). */
  sessionsOf(userIds: readonly string[]): Promise<SessionInfo[]>;
  /** For these users, which live nodes hold at least one of their sessions: nodeId -> userIds. */
  nodesOf(userIds: readonly string[]): Promise<Map<string, string[]>>;
  /** Online status and last-seen of these users. */
  status(userIds: readonly string[]): Promise<Map<string, UserStatus>>;
  /** True when the backing service answers (for readiness probes). */
  ping(): Promise<boolean>;
  /**
   * Releases what the adapter opened. Idempotent, and every call after it rejects with
   * `ImError("unavailable")`: `withPresenceRuntime` guarantees both.
   */
  close(): Promise<void>;
}
