import type { ServerFrame } from "../protocol/schemas.js";
import type { Message } from "./message.js";

/**
 * What one node sends another through the broker: work for the sessions the
 * receiving node holds.
 */
export type Envelope =
  /** A stored message to push (and re-push until acked) to the local sessions of `userIds`. */
  | {
      kind: "message";
      message: Message;
      userIds: string[];
      /** The session that sent it: it gets `sent`, not `message`. */
      exceptSessionId?: string;
    }
  /** A frame that is not stored (receipt, recalled, typing, signal, group, presence): push once. */
  | { kind: "frame"; frame: ServerFrame; userIds: string[]; exceptSessionId?: string }
  /** Close sessions: one (`sessionId`) or all of a user's on the receiving node. */
  | { kind: "kick"; userId: string; sessionId?: string; code: number; reason: string };

/**
 * A message for every node at once (the broker's control channel): session
 * kicks whose node is unknown, group changes that invalidate caches.
 */
export type ControlMessage =
  | { type: "kick_user"; userId: string; code: number; reason: string; exceptSessionId?: string }
  | { type: "group_changed"; groupId: string }
  | { type: "custom"; name: string; data: unknown };
