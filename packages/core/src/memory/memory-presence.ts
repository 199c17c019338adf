import { ConfigError } from "../config-error.js";
import type { Presence, UserStatus } from "../contracts/presence.js";
import type { SessionInfo } from "../domain/session.js";
import { withPresenceRuntime } from "../runtime/presence-runtime.js";
import { checkOption } from "../util/check-option.js";

/**
 * The cluster view shared by {@link createMemoryPresence} instances of one
 * process, as a Redis server is shared by nodes. It is opaque: only the
 * presence instances read it.
 */
export interface MemoryPresenceHub {
  /** Brand: a hub comes only from {@link createMemoryPresenceHub}. */
  readonly kind: "lucky-im.memory-presence-hub";
}

interface NodeState {
  /** The node counts as alive until then (ms since epoch). */
  expiresAt: number;
  lastHeartbeatAt: number;
  sessionIds: Set<string>;
}

interface PresenceHubState {
  nodes: Map<string, NodeState>;
  sessions: Map<string, SessionInfo>;
  sessionsByUser: Map<string, Set<string>>;
  lastSeen: Map<string, number>;
}

const states = new WeakMap<MemoryPresenceHub, PresenceHubState>();

/**
 * Creates a {@link MemoryPresenceHub}: pass it to several
 * {@link createMemoryPresence} calls to give them one cluster view.
 */
export function createMemoryPresenceHub(): MemoryPresenceHub {
  const hub: MemoryPresenceHub = Object.freeze({ kind: "lucky-im.memory-presence-hub" as const });
  states.set(hub, {
    nodes: new Map(),
    sessions: new Map(),
    sessionsByUser: new Map(),
    lastSeen: new Map(),
  });
  return hub;
}

function hubState(hub: MemoryPresenceHub): PresenceHubState {
  const state = states.get(hub);
  if (!state) {
    throw new ConfigError(
      "core",
      "option hub is not a memory presence hub: create one with createMemoryPresenceHub()",
      { option: "hub" },
    );
  }
  return state;
}

/** Options of {@link createMemoryPresence}. */
export interface MemoryPresenceOptions {
  /**
   * The cluster this instance sees; instances sharing a hub see each other's sessions.
   * @default a new, private hub
   */
  hub?: MemoryPresenceHub;
  /**
   * How long one `heartbeat` (or `register`) keeps a node alive. A node that
   * stops heartbeating disappears, with its sessions, once it passed.
   * @default 30000
   */
  nodeTtlMs?: number;
  /**
   * The clock, in milliseconds since the epoch (replace it to test expiry with a fake clock).
   * @default Date.now
   */
  now?: () => number;
}

/**
 * Creates a {@link Presence} that keeps the cluster's sessions in this
 * process: the embedded default, and the way to test a cluster in one
 * process. Node liveness works as with Redis keys with a TTL: `heartbeat`
 * (and `register`) keeps a node alive for `nodeTtlMs`; once it lapses the
 * node's sessions vanish from every answer and their users' `lastSeen`
 * becomes the node's last sign of life. Expiry is evaluated on each call,
 * so no timer runs.
 *
 * @example
 * ```ts
 * const hub = createMemoryPresenceHub();
 * const presence = createMemoryPresence({ hub, nodeTtlMs: 15_000 });
 * await presence.heartbeat("node-a");
 * await presence.register(session);
 * ```
 */
export function createMemoryPresence(options: MemoryPresenceOptions = {}): Presence {
  const state = hubState(options.hub ?? createMemoryPresenceHub());
  const nodeTtlMs = options.nodeTtlMs ?? 30_000;
  const now = options.now ?? Date.now;
  checkOption("core", "nodeTtlMs", nodeTtlMs, { above: 0 });

  function dropSession(sessionId: string, seenAt: number): void {
    const session = state.sessions.get(sessionId);
    if (!session) return;
    state.sessions.delete(sessionId);
    state.nodes.get(session.nodeId)?.sessionIds.delete(sessionId);
    const userSessions = state.sessionsByUser.get(session.userId);
    userSessions?.delete(sessionId);
    if (!userSessions || userSessions.size === 0) {
      state.sessionsByUser.delete(session.userId);
      state.lastSeen.set(session.userId, Math.max(seenAt, state.lastSeen.get(session.userId) ?? 0));
    }
  }

  function dropNode(nodeId: string, seenAt: number): void {
    const node = state.nodes.get(nodeId);
    if (!node) return;
    for (const sessionId of [...node.sessionIds]) {
      const session = state.sessions.get(sessionId);
      // A session that connected after the last heartbeat was seen at least then.
      dropSession(sessionId, Math.max(seenAt, session?.connectedAt ?? 0));
    }
    state.nodes.delete(nodeId);
  }

  /** Forgets nodes whose TTL lapsed, as Redis would expire their keys. */
  function sweep(at: number): void {
    for (const [nodeId, node] of state.nodes) {
      if (node.expiresAt <= at) dropNode(nodeId, node.lastHeartbeatAt);
    }
  }

  function touch(nodeId: string, at: number): NodeState {
    let node = state.nodes.get(nodeId);
    if (!node) {
      node = { expiresAt: 0, lastHeartbeatAt: at, sessionIds: new Set() };
      state.nodes.set(nodeId, node);
    }
    node.lastHeartbeatAt = at;
    node.expiresAt = Math.max(node.expiresAt, at + nodeTtlMs);
    return node;
  }

  function liveSessionsOf(userIds: readonly string[]): SessionInfo[] {
    const result: SessionInfo[] = [];
    for (const userId of new Set(userIds)) {
      for (const sessionId of state.sessionsByUser.get(userId) ?? []) {
        const session = state.sessions.get(sessionId);
        if (session) result.push(session);
      }
    }
    return result;
  }

  // The runtime wrapper refuses calls after close (and makes close idempotent).
  const presence: Presence = {
    async register(session) {
      const at = now();
      sweep(at);
      // Re-registering a session id (for example on another node) replaces it.
      dropSession(session.sessionId, at);
      const node = touch(session.nodeId, at);
      const copy = { ...session };
      state.sessions.set(copy.sessionId, copy);
      node.sessionIds.add(copy.sessionId);
      let userSessions = state.sessionsByUser.get(copy.userId);
      if (!userSessions) {
        userSessions = new Set();
        state.sessionsByUser.set(copy.userId, userSessions);
      }
      userSessions.add(copy.sessionId);
    },

    async unregister(session) {
      const at = now();
      sweep(at);
      dropSession(session.sessionId, at);
    },

    async heartbeat(nodeId) {
      const at = now();
      sweep(at);
      touch(nodeId, at);
    },

    async removeNode(nodeId) {
      const at = now();
      sweep(at);
      dropNode(nodeId, at);
    },

    async sessionsOf(userIds) {
      sweep(now());
      return liveSessionsOf(userIds).map((session) => ({ ...session }));
    },

    async nodesOf(userIds) {
      sweep(now());
      const byNode = new Map<string, string[]>();
      const seen = new Set<string>();
      for (const session of liveSessionsOf(userIds)) {
        const key = `${session.nodeId}\u0000${session.userId}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const users = byNode.get(session.nodeId);
        if (users) users.push(session.userId);
        else byNode.set(session.nodeId, [session.userId]);
      }
      return byNode;
    },

    async status(userIds) {
      const at = now();
      sweep(at);
      const result = new Map<string, UserStatus>();
      for (const userId of userIds) {
        if ((state.sessionsByUser.get(userId)?.size ?? 0) > 0) {
          result.set(userId, { online: true, lastSeen: at });
        } else {
          const lastSeen = state.lastSeen.get(userId);
          result.set(
            userId,
            lastSeen === undefined ? { online: false } : { online: false, lastSeen },
          );
        }
      }
      return result;
    },

    async ping() {
      return true;
    },

    async close() {
      // The hub may be shared: closing one instance leaves the cluster view alone.
    },
  };
  return withPresenceRuntime(presence, { label: "[lucky-im] [core] memory presence" });
}
