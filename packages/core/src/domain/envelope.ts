import type { ServerFrame } from "../protocol/schemas.js";
import type { Message } from "./message.js";
import type { MessageChange } from "./message-change.js";
import type { NodeStats } from "./node-stats.js";

/**
 * What one node sends another through the broker: work for the sessions the
 * receiving node holds.
 */
export type Envelope =
  /** A stored message to push (and re-push until acked) to the local sessions of `userIds`. */
  | {
      /** Discriminant. */
      kind: "message";
      /** The stored message. */
      message: Message;
      /** The recipients whose sessions are on the receiving node. */
      userIds: string[];
      /** The session that sent it: it gets `sent`, not `message`. */
      exceptSessionId?: string;
    }
  /**
   * A stored change (docs/protocol.md §13) to push as a `change` frame to the change-aware
   * sessions of `userIds`; the receiving node drops a (conversationId, changeSeq) it already pushed.
   */
  | {
      /** Discriminant. */
      kind: "change";
      /** The change log entry. */
      change: MessageChange;
      /** The recipients whose sessions are on the receiving node. */
      userIds: string[];
    }
  /** A frame that is not stored (receipt, recalled, typing, signal, group, presence): push once. */
  | {
      /** Discriminant. */
      kind: "frame";
      /** The frame to push as is. */
      frame: ServerFrame;
      /** The recipients whose sessions are on the receiving node. */
      userIds: string[];
      /** A session that must not get it (the one that caused it). */
      exceptSessionId?: string;
    }
  /** Close sessions: one (`sessionId`) or all of a user's on the receiving node. */
  | {
      /** Discriminant. */
      kind: "kick";
      /** Whose sessions. */
      userId: string;
      /** Only this session; absent: every session of the user on the node. */
      sessionId?: string;
      /** The WebSocket close code. */
      code: number;
      /** The close reason. */
      reason: string;
    };

/**
 * A message for every node at once (the broker's control channel): session
 * kicks whose node is unknown, group changes that invalidate caches.
 */
export type ControlMessage =
  | {
      /** Close every session of `userId` on every node. */
      type: "kick_user";
      /** Whose sessions. */
      userId: string;
      /** The WebSocket close code. */
      code: number;
      /** The close reason. */
      reason: string;
      /** A session to keep (the one that asked). */
      exceptSessionId?: string;
    }
  | {
      /** A group changed: drop cached members. */
      type: "group_changed";
      /** Which group. */
      groupId: string;
    }
  | {
      /** Contacts, requests or blocks between two users changed: drop their cached relation. */
      type: "relation_changed";
      /** The two users. */
      userIds: [string, string];
    }
  | {
      /** A user's privacy policy changed: drop it from the relation cache. */
      type: "privacy_changed";
      /** Whose policy. */
      userId: string;
    }
  | {
      /** A user came online or went offline on the whole cluster: nodes tell their local watchers. */
      type: "presence_changed";
      /** Whose presence. */
      userId: string;
      /** The new status. */
      online: boolean;
      /** When the user was last online, unless hidden (offline only). */
      lastSeen?: number;
    }
  | {
      /** A user's conversation settings changed: drop what nodes cached of them. */
      type: "settings_changed";
      /** Whose settings. */
      userId: string;
      /** Of which conversation. */
      conversationId: string;
    }
  | {
      /** A user was suspended or their suspension lifted: drop what nodes cached of it. */
      type: "suspension_changed";
      /** Whose suspension. */
      userId: string;
    }
  | {
      /** A node's periodic counters, for the admin stats of every node. */
      type: "node_stats";
      /** The counters. */
      stats: NodeStats;
    }
  | {
      /** An application message. */
      type: "custom";
      /** Its name, for the receiver to dispatch on. */
      name: string;
      /** Its JSON payload. */
      data: unknown;
    };
