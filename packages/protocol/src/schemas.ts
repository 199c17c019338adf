import { type Static, Type } from "@sinclair/typebox";

/**
 * TypeBox schemas for every frame of the Lucky IM wire protocol, version 1.
 * The TypeScript types are derived from them, so the schema is the single
 * source of truth. TypeBox was chosen because its compiled validators are
 * among the fastest in JavaScript (they matter on the per-frame hot path) and
 * its schemas are plain JSON Schema, which HTTP frameworks such as Fastify
 * validate natively.
 */

/**
 * A user id: 1..128 characters, no whitespace, no `:` (it separates conversation id parts),
 * no control characters (NUL above all: PostgreSQL refuses it).
 */
export const UserIdSchema = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: "^[^\\s:\\u0000-\\u001f\\u007f]+$",
});
/** A conversation id: `d:<userA>:<userB>` or `g:<groupId>`. */
export const ConversationIdSchema = Type.String({
  minLength: 3,
  maxLength: 300,
  pattern:
    "^(d:[^\\s:\\u0000-\\u001f\\u007f]+:[^\\s:\\u0000-\\u001f\\u007f]+|g:[^\\s:\\u0000-\\u001f\\u007f]+)$",
});
/** A client message id, unique per sender. */
export const CidSchema = Type.String({ minLength: 1, maxLength: 128 });
/** A per-conversation sequence number (0 means "nothing yet"). */
export const SeqSchema = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

/** Who a message, typing notice or signal is for. */
export const TargetSchema = Type.Object({
  /** `user` for a user (a direct conversation), `group` for a group. */
  type: Type.Union([Type.Literal("user"), Type.Literal("group")]),
  /** The user id, or the group id. */
  id: UserIdSchema,
});
/** A target, as validated by `TargetSchema`. */
export type Target = Static<typeof TargetSchema>;

/** JSON Schema (TypeBox) of the text message body. */
export const TextBodySchema = Type.Object({
  /** The body type: always `text`. */
  type: Type.Literal("text"),
  /** The text, 1 character or more (the body's JSON: at most `maxBodyBytes`, 16 KiB by default). */
  text: Type.String({ minLength: 1 }),
});
const mediaFields = {
  /**
   * The file's URL, 1..2048 characters: upload first, then send the URL the upload returned (the
   * example server accepts only its own `/files/<id>` URLs).
   */
  url: Type.String({ minLength: 1, maxLength: 2048 }),
  /** The file name to show, 1..512 characters. */
  name: Type.String({ minLength: 1, maxLength: 512 }),
  /** The file's size in bytes, an integer ≥ 0. */
  size: Type.Integer({ minimum: 0 }),
  /** The file's MIME type, 1..255 characters (such as `image/jpeg`). */
  mime: Type.String({ minLength: 1, maxLength: 255 }),
  /** An image's or video's width in pixels, an integer ≥ 0, as the sender gives it. */
  width: Type.Optional(Type.Integer({ minimum: 0 })),
  /** An image's or video's height in pixels, an integer ≥ 0, as the sender gives it. */
  height: Type.Optional(Type.Integer({ minimum: 0 })),
  /** A voice message's or video's length in ms, an integer ≥ 0, as the sender gives it. */
  durationMs: Type.Optional(Type.Integer({ minimum: 0 })),
  /** The URL of a preview image, 1..2048 characters. */
  thumbnailUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
};
/** JSON Schema (TypeBox) of the media message body. */
export const MediaBodySchema = Type.Object({
  /** The kind of media: `image`, `voice`, `video` or `file` (the fields are the same for each). */
  type: Type.Union([
    Type.Literal("image"),
    Type.Literal("voice"),
    Type.Literal("video"),
    Type.Literal("file"),
  ]),
  ...mediaFields,
});
/** JSON Schema (TypeBox) of the location message body. */
export const LocationBodySchema = Type.Object({
  /** The body type: always `location`. */
  type: Type.Literal("location"),
  /** The latitude in degrees, -90..90. */
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  /** The longitude in degrees, -180..180. */
  lng: Type.Number({ minimum: -180, maximum: 180 }),
  /** A name for the place, at most 512 characters. */
  label: Type.Optional(Type.String({ maxLength: 512 })),
});
/** JSON Schema (TypeBox) of the custom message body. */
export const CustomBodySchema = Type.Object({
  /** The body type: always `custom`. */
  type: Type.Literal("custom"),
  /**
   * Any JSON the application defines (a recalled message's body is `{type: "custom", data: null}`).
   */
  data: Type.Unknown(),
});
/** The content of a message. */
export const MessageBodySchema = Type.Union([
  TextBodySchema,
  MediaBodySchema,
  LocationBodySchema,
  CustomBodySchema,
]);
/** A text message body, as validated by `TextBodySchema`. */
export type TextBody = Static<typeof TextBodySchema>;
/** A media message body, as validated by `MediaBodySchema`. */
export type MediaBody = Static<typeof MediaBodySchema>;
/** A location message body, as validated by `LocationBodySchema`. */
export type LocationBody = Static<typeof LocationBodySchema>;
/** A custom message body, as validated by `CustomBodySchema`. */
export type CustomBody = Static<typeof CustomBodySchema>;
/** A message body (any type), as validated by `MessageBodySchema`. */
export type MessageBody = Static<typeof MessageBodySchema>;
/** The `type` of a message body. */
export type MessageBodyType = MessageBody["type"];

// ---------------------------------------------------------------- client -> server

/** JSON Schema (TypeBox) of the client's `auth` frame. */
export const AuthFrameSchema = Type.Object({
  /** The frame type: always `auth`. */
  type: Type.Literal("auth"),
  /** The access token (a JWT), 1..8192 characters. */
  token: Type.String({ minLength: 1, maxLength: 8192 }),
  /** Lucky IM addition: the device this connection is, for multi-device policy. */
  device: Type.Optional(
    Type.Object({
      /** The device's id, 1..128 characters. */
      id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
      /**
       * The device's class, 1..32 characters (such as `phone`, `desktop`, `web`): the
       * `one-per-device-class` policy keeps one session per class.
       */
      class: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    }),
  ),
  /**
   * Addition (§1.8): the capabilities this client has (`receipt-batch`, `ack-batch`); the
   * server echoes in `ready` those it accepts and ignores the others.
   */
  capabilities: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 32 }),
  ),
});
/** A message id in a client frame (1..64 characters). */
function MessageIdSchema() {
  return Type.String({ minLength: 1, maxLength: 64 });
}
/** The optional `cid` of a change frame (§13.2): 1..64 characters. */
function ChangeCidSchema() {
  return Type.Optional(Type.String({ minLength: 1, maxLength: 64 }));
}
/** JSON Schema (TypeBox) of the client's `send` frame. */
export const SendFrameSchema = Type.Object({
  /** The frame type: always `send`. */
  type: Type.Literal("send"),
  /**
   * Your id for this message, 1..128 characters, unique per sender: it makes `send` idempotent
   * (reuse it when you retry) and matches `sent` or `error` to this frame.
   */
  cid: CidSchema,
  /** The recipient user, or the group. */
  to: TargetSchema,
  /** The content (§4): at most `maxBodyBytes` of JSON (16 KiB by default). */
  body: MessageBodySchema,
  /** Addition (§13.2): the id of a message of the same conversation this one replies to. */
  replyTo: Type.Optional(MessageIdSchema()),
  /** Addition (§13.2): mentioned user ids, or `["all"]` (the engine caps the count: `too_large`). */
  mentions: Type.Optional(Type.Array(UserIdSchema, { maxItems: 1000 })),
});
/** JSON Schema (TypeBox) of the client's `ack` frame. */
export const AckFrameSchema = Type.Object({
  /** The frame type: always `ack`. */
  type: Type.Literal("ack"),
  /** The conversation acked. */
  conversationId: ConversationIdSchema,
  /** The highest seq you hold with no gap below it: the ack covers every message up to it. */
  seq: SeqSchema,
});
/** One conversation's cumulative ack in an `acks` frame. */
export const AckEntrySchema = Type.Object({
  /** The conversation acked (at most once per frame). */
  conversationId: ConversationIdSchema,
  /** The highest seq you hold with no gap below it, as in an `ack` frame. */
  seq: SeqSchema,
});
/**
 * JSON Schema (TypeBox) of the client's `acks` frame (addition, §3.3): the cumulative acks of
 * many conversations in one frame, each entry handled as an `ack` frame would be. The engine
 * caps the entries (`maxAcksPerFrame`, `too_large`); the schema bound is only a ceiling on
 * what is parsed.
 */
export const AcksFrameSchema = Type.Object({
  /** The frame type: always `acks`. */
  type: Type.Literal("acks"),
  /**
   * The acks, 1..1000 entries (the engine takes at most `maxAcksPerFrame`, announced in `ready`);
   * each conversation at most once.
   */
  acks: Type.Array(AckEntrySchema, { minItems: 1, maxItems: 1000 }),
  /** Echoed in the `error` frames this frame causes. */
  cid: Type.Optional(CidSchema),
});
/** JSON Schema (TypeBox) of the client's `read` frame. */
export const ReadFrameSchema = Type.Object({
  /** The frame type: always `read`. */
  type: Type.Literal("read"),
  /** The conversation read. */
  conversationId: ConversationIdSchema,
  /**
   * The last message the user has seen: raises the read cursor (capped at the conversation's last
   * seq).
   */
  seq: SeqSchema,
});
/** JSON Schema (TypeBox) of the client's `sync` frame. */
export const SyncFrameSchema = Type.Object({
  /** The frame type: always `sync`. */
  type: Type.Literal("sync"),
  /**
   * The last seq you hold, per conversation id (may be `{}`; at most `maxSyncCursors`, 10,000). A
   * conversation not named is synced from the user's delivered cursor.
   */
  cursors: Type.Record(Type.String(), SeqSchema),
  /** At most this many messages in this answer, ≥ 1 (capped at `syncPageSize`, 200 by default). */
  limit: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Addition (§13.4): the last changeSeq applied per conversation; makes the session change-aware. */
  changes: Type.Optional(Type.Record(Type.String(), SeqSchema)),
});
/** JSON Schema (TypeBox) of the client's `recall` frame. */
export const RecallFrameSchema = Type.Object({
  /** The frame type: always `recall`. */
  type: Type.Literal("recall"),
  /** The message to recall, 1..64 characters (within `recallWindowMs`, 2 minutes by default). */
  messageId: Type.String({ minLength: 1, maxLength: 64 }),
});
/** JSON Schema (TypeBox) of the client's `typing` frame. */
export const TypingFrameSchema = Type.Object({
  /** The frame type: always `typing`. */
  type: Type.Literal("typing"),
  /** Where you are typing: the user, or the group. */
  to: TargetSchema,
});
/** JSON Schema (TypeBox) of the client's `signal` frame. */
export const SignalFrameSchema = Type.Object({
  /** The frame type: always `signal`. */
  type: Type.Literal("signal"),
  /** The callee: signals go to users only. */
  to: Type.Object({
    /** Always `user`. */
    type: Type.Literal("user"),
    /** The callee's user id. */
    id: UserIdSchema,
  }),
  /** Your id for the call, 1..128 characters. */
  callId: Type.String({ minLength: 1, maxLength: 128 }),
  /**
   * The signalling payload, any JSON (by convention `data.kind` is `invite`, `accept`, `reject`,
   * `cancel`, `hangup`, `offer`, `answer` or `ice`).
   */
  data: Type.Unknown(),
});
/** JSON Schema (TypeBox) of the client's `ping` frame. */
export const PingFrameSchema = Type.Object({
  /** The frame type: always `ping`. */
  type: Type.Literal("ping"),
  /** Any number; it comes back in the `pong`. */
  ts: Type.Optional(Type.Number()),
});

/**
 * Lucky IM addition: watch these users' presence (replaces the session's earlier list; an
 * empty list stops watching). Answered with `presence_state`, then `presence` on each change.
 */
export const PresenceSubscribeFrameSchema = Type.Object({
  /** The frame type: always `presence_subscribe`. */
  type: Type.Literal("presence_subscribe"),
  /**
   * The users to watch, replacing this connection's earlier list (`[]` stops watching); at most
   * `maxPresenceSubscriptions` (1000) distinct, `too_large` beyond.
   */
  userIds: Type.Array(UserIdSchema, { maxItems: 10_000 }),
  /** Your id for this frame, 1..128 characters, echoed in the `presence_state` answer. */
  cid: Type.Optional(CidSchema),
});
// Changes (§13.2). The key and count limits past the schema's bounds are the engine's and the
// store's (`too_large`), so the schema bounds are only a ceiling on what is parsed.
/** JSON Schema (TypeBox) of the client's `edit` frame (addition, §13.2). */
export const EditFrameSchema = Type.Object({
  /** The frame type: always `edit`. */
  type: Type.Literal("edit"),
  /** Your id for this change, 1..64 characters, echoed in `applied` or `error`. */
  cid: ChangeCidSchema(),
  /**
   * The message to edit, 1..64 characters: one of yours, within `editWindowMs` (15 minutes by
   * default).
   */
  messageId: MessageIdSchema(),
  /** The new body, of the same type as before (text only by default). */
  body: MessageBodySchema,
});
/** JSON Schema (TypeBox) of the client's `react` frame (addition, §13.2). */
export const ReactFrameSchema = Type.Object({
  /** The frame type: always `react`. */
  type: Type.Literal("react"),
  /** Your id for this change, 1..64 characters, echoed in `applied` or `error`. */
  cid: ChangeCidSchema(),
  /** The message to react to, 1..64 characters. */
  messageId: MessageIdSchema(),
  /**
   * The reaction, such as an emoji: 1..32 UTF-16 units without control characters (the store's
   * limit, `maxReactionKeyLength`; the schema only caps what is parsed).
   */
  key: Type.String({ maxLength: 256 }),
  /** `true` to remove your reaction instead of adding it. */
  remove: Type.Optional(Type.Literal(true)),
});
/** JSON Schema (TypeBox) of the client's `pin` frame (addition, §13.2). */
export const PinFrameSchema = Type.Object({
  /** The frame type: always `pin`. */
  type: Type.Literal("pin"),
  /** Your id for this change, 1..64 characters, echoed in `applied` or `error`. */
  cid: ChangeCidSchema(),
  /** The message to pin or unpin, 1..64 characters. */
  messageId: MessageIdSchema(),
  /** `true` to unpin instead of pinning. */
  remove: Type.Optional(Type.Literal(true)),
});
/** JSON Schema (TypeBox) of the client's `delete_for_me` frame (addition, §13.2). */
export const DeleteForMeFrameSchema = Type.Object({
  /** The frame type: always `delete_for_me`. */
  type: Type.Literal("delete_for_me"),
  /** Your id for this change, 1..64 characters, echoed in `applied` or `error`. */
  cid: ChangeCidSchema(),
  /** The message to hide for all your devices, 1..64 characters. */
  messageId: MessageIdSchema(),
});
/** JSON Schema (TypeBox) of the client's `clear` frame (addition, §13.2). */
export const ClearFrameSchema = Type.Object({
  /** The frame type: always `clear`. */
  type: Type.Literal("clear"),
  /** Your id for this change, 1..64 characters, echoed in `applied` or `error`. */
  cid: ChangeCidSchema(),
  /** The conversation to clear. */
  conversationId: ConversationIdSchema,
  /** Every message up to this seq (≥ 1) is hidden for all your devices. */
  upToSeq: SeqSchema,
});

/**
 * JSON Schema (TypeBox) of the client's `forward` frame (addition, §13.2): a copy of a message
 * the user can read, into each target. The engine caps the targets (`maxForwardTargets`,
 * `too_large`); the schema bound is only a ceiling on what is parsed.
 */
export const ForwardFrameSchema = Type.Object({
  /** The frame type: always `forward`. */
  type: Type.Literal("forward"),
  /**
   * Your id for this forward, 1..128 characters: a repeated `forward` with the same `cid` and
   * targets answers the same copies and stores nothing again.
   */
  cid: CidSchema,
  /** The message to copy, 1..64 characters: one you can read. */
  messageId: MessageIdSchema(),
  /**
   * Where to copy it: 1..100 targets, each at most once (the engine allows `maxForwardTargets`, 10
   * by default).
   */
  to: Type.Array(TargetSchema, { minItems: 1, maxItems: 100 }),
});

/** An auth frame, as validated by `AuthFrameSchema`. */
export type AuthFrame = Static<typeof AuthFrameSchema>;
/** A send frame, as validated by `SendFrameSchema`. */
export type SendFrame = Static<typeof SendFrameSchema>;
/** An ack frame, as validated by `AckFrameSchema`. */
export type AckFrame = Static<typeof AckFrameSchema>;
/** One entry of an acks frame, as validated by `AckEntrySchema`. */
export type AckEntry = Static<typeof AckEntrySchema>;
/** An acks frame, as validated by `AcksFrameSchema`. */
export type AcksFrame = Static<typeof AcksFrameSchema>;
/** A read frame, as validated by `ReadFrameSchema`. */
export type ReadFrame = Static<typeof ReadFrameSchema>;
/** A sync frame, as validated by `SyncFrameSchema`. */
export type SyncFrame = Static<typeof SyncFrameSchema>;
/** A recall frame, as validated by `RecallFrameSchema`. */
export type RecallFrame = Static<typeof RecallFrameSchema>;
/** A typing frame, as validated by `TypingFrameSchema`. */
export type TypingFrame = Static<typeof TypingFrameSchema>;
/** A signal frame, as validated by `SignalFrameSchema`. */
export type SignalFrame = Static<typeof SignalFrameSchema>;
/** A ping frame, as validated by `PingFrameSchema`. */
export type PingFrame = Static<typeof PingFrameSchema>;
/** A presence subscribe frame, as validated by `PresenceSubscribeFrameSchema`. */
export type PresenceSubscribeFrame = Static<typeof PresenceSubscribeFrameSchema>;
/** An edit frame, as validated by `EditFrameSchema`. */
export type EditFrame = Static<typeof EditFrameSchema>;
/** A react frame, as validated by `ReactFrameSchema`. */
export type ReactFrame = Static<typeof ReactFrameSchema>;
/** A pin frame, as validated by `PinFrameSchema`. */
export type PinFrame = Static<typeof PinFrameSchema>;
/** A delete_for_me frame, as validated by `DeleteForMeFrameSchema`. */
export type DeleteForMeFrame = Static<typeof DeleteForMeFrameSchema>;
/** A clear frame, as validated by `ClearFrameSchema`. */
export type ClearFrame = Static<typeof ClearFrameSchema>;
/** A forward frame, as validated by `ForwardFrameSchema`. */
export type ForwardFrame = Static<typeof ForwardFrameSchema>;

/** Every frame a client may send. */
export type ClientFrame =
  | AuthFrame
  | SendFrame
  | AckFrame
  | AcksFrame
  | ReadFrame
  | SyncFrame
  | RecallFrame
  | TypingFrame
  | SignalFrame
  | PingFrame
  | PresenceSubscribeFrame
  | EditFrame
  | ReactFrame
  | PinFrame
  | DeleteForMeFrame
  | ClearFrame
  | ForwardFrame;

/** The schema of each client frame, by `type`. */
export const CLIENT_FRAME_SCHEMAS = {
  /** The schema of the client's `auth` frame. */
  auth: AuthFrameSchema,
  /** The schema of the client's `send` frame. */
  send: SendFrameSchema,
  /** The schema of the client's `ack` frame. */
  ack: AckFrameSchema,
  /** The schema of the client's `acks` frame. */
  acks: AcksFrameSchema,
  /** The schema of the client's `read` frame. */
  read: ReadFrameSchema,
  /** The schema of the client's `sync` frame. */
  sync: SyncFrameSchema,
  /** The schema of the client's `recall` frame. */
  recall: RecallFrameSchema,
  /** The schema of the client's `typing` frame. */
  typing: TypingFrameSchema,
  /** The schema of the client's `signal` frame. */
  signal: SignalFrameSchema,
  /** The schema of the client's `ping` frame. */
  ping: PingFrameSchema,
  /** The schema of the client's `presence_subscribe` frame. */
  presence_subscribe: PresenceSubscribeFrameSchema,
  /** The schema of the client's `edit` frame. */
  edit: EditFrameSchema,
  /** The schema of the client's `react` frame. */
  react: ReactFrameSchema,
  /** The schema of the client's `pin` frame. */
  pin: PinFrameSchema,
  /** The schema of the client's `delete_for_me` frame. */
  delete_for_me: DeleteForMeFrameSchema,
  /** The schema of the client's `clear` frame. */
  clear: ClearFrameSchema,
  /** The schema of the client's `forward` frame. */
  forward: ForwardFrameSchema,
} as const;

/** The `type` of a client frame. */
export type ClientFrameType = keyof typeof CLIENT_FRAME_SCHEMAS;

// ---------------------------------------------------------------- server -> client

/** JSON Schema (TypeBox) of the server's `ready` frame. */
export const ReadyFrameSchema = Type.Object({
  /** The frame type: always `ready`. */
  type: Type.Literal("ready"),
  /** Who you are: the token's `sub`. */
  userId: Type.String(),
  /** This connection's id, unique in the cluster (`s_` + 32 hex digits). */
  sessionId: Type.String(),
  /** The server node this connection is on (useful in logs). */
  nodeId: Type.String(),
  /**
   * The server's heartbeat interval in ms (§1.7): a browser client sends a `ping` about this often.
   */
  heartbeatMs: Type.Integer(),
  /** The server clock in ms since the epoch, to correct `ts` values for a skewed local clock. */
  serverTime: Type.Number(),
  /**
   * Addition (§1.8): the capabilities of the `auth` frame the server accepted; present only
   * when the `auth` frame had `capabilities`.
   */
  capabilities: Type.Optional(Type.Array(Type.String())),
  /** Addition (§3.3): the most entries an `acks` frame may hold; present with `ack-batch`. */
  maxAcksPerFrame: Type.Optional(Type.Integer()),
});
/** JSON Schema (TypeBox) of the server's `sent` frame. */
export const SentFrameSchema = Type.Object({
  /** The frame type: always `sent`. */
  type: Type.Literal("sent"),
  /** The `cid` of your `send`. */
  cid: Type.String(),
  /** The server's id of the message (a UUIDv7). */
  messageId: Type.String(),
  /** The conversation the message went to. */
  conversationId: Type.String(),
  /** The message's place in the conversation. */
  seq: Type.Integer(),
  /** When the message was stored (server clock, ms since the epoch). */
  ts: Type.Number(),
});
/**
 * JSON Schema (TypeBox) of one `sent` answer inside a `receipts` frame (addition, §5.3,
 * `sent-batch`): the fields of a `sent` frame without `type`.
 */
export const SentEntrySchema = Type.Omit(SentFrameSchema, ["type"]);
/** JSON Schema (TypeBox) of a reply reference in a `message` frame (addition, §13.2). */
export const ReplyReferenceSchema = Type.Object({
  /** The quoted message. */
  messageId: Type.String(),
  /** The quoted message's seq. */
  seq: Type.Integer(),
  /** The quoted message's sender. */
  from: Type.String(),
  /**
   * An excerpt of the quoted message's body, at most 200 UTF-16 units; empty when it was recalled.
   */
  excerpt: Type.String(),
  /** `true` when the quoted message was recalled. */
  recalled: Type.Optional(Type.Literal(true)),
});
/** A reply reference, as validated by `ReplyReferenceSchema`. */
export type ReplyReferenceFrame = Static<typeof ReplyReferenceSchema>;
/** JSON Schema (TypeBox) of the origin of a forwarded message in a `message` frame (addition, §13.2). */
export const ForwardOriginSchema = Type.Object({
  /** The original message (a forward of a forward names the first original). */
  messageId: Type.String(),
  /** The original message's conversation. */
  conversationId: Type.String(),
  /** The original sender; absent when the server hides it. */
  from: Type.Optional(Type.String()),
});
/** A forward origin, as validated by `ForwardOriginSchema`. */
export type ForwardOriginFrame = Static<typeof ForwardOriginSchema>;
/** JSON Schema (TypeBox) of the server's `message` frame. */
export const MessageFrameSchema = Type.Object({
  /** The frame type: always `message`. */
  type: Type.Literal("message"),
  /** The server's id of the message (a UUIDv7): the key for de-duplication. */
  messageId: Type.String(),
  /** The message's conversation. */
  conversationId: Type.String(),
  /** The message's place in the conversation: from 1, +1 per message, never a gap. */
  seq: Type.Integer(),
  /** The sender's user id (`SYSTEM_SENDER_ID` when the application sent it, see `system`). */
  from: Type.String(),
  /**
   * The target as the sender wrote it: the recipient user (in a direct conversation) or the group.
   */
  to: TargetSchema,
  /** The content (§4); `{type: "custom", data: null}` once the message was recalled. */
  body: MessageBodySchema,
  /** When the message was stored (server clock, ms since the epoch). */
  ts: Type.Number(),
  /** The sender's `cid` (your own when the message comes from another device of yours). */
  cid: Type.String(),
  /** `true` when the message was recalled. */
  recalled: Type.Optional(Type.Literal(true)),
  /** Addition (§13.2): the quoted message, with an excerpt. */
  replyTo: Type.Optional(ReplyReferenceSchema),
  /** Addition (§13.2): mentioned user ids, or `all`. */
  mentions: Type.Optional(Type.Array(Type.String())),
  /** Addition (§13.2): when the body was last edited (ms since epoch). */
  editedAt: Type.Optional(Type.Number()),
  /** Addition (§13.2): the original message of a forwarded copy. */
  forwarded: Type.Optional(ForwardOriginSchema),
  /**
   * Addition (§14): the application sent it as itself (`from` is `SYSTEM_SENDER_ID`);
   * show it as a system notice, not as a user's message.
   */
  system: Type.Optional(Type.Literal(true)),
});
/** JSON Schema (TypeBox) of the server's `synced` frame. */
export const SyncedFrameSchema = Type.Object({
  /** The frame type: always `synced`. */
  type: Type.Literal("synced"),
  /** Every conversation of the user, with where it is. */
  conversations: Type.Array(
    Type.Object({
      /** The conversation. */
      conversationId: Type.String(),
      /** The conversation's newest seq (where the conversation is, not where this page stopped). */
      lastSeq: Type.Integer(),
      /** Addition (§13.4): the conversation's last changeSeq, for change-aware sessions. */
      lastChangeSeq: Type.Optional(Type.Integer()),
      /**
       * Addition (§5.3, history retention): the server no longer has the messages below this seq,
       * and this sync started the conversation below it: the messages between the cursor and
       * `oldestSeq` are gone for good. Move the cursor to `oldestSeq - 1`.
       */
      oldestSeq: Type.Optional(Type.Integer()),
    }),
  ),
  /** `true` when the answer stopped at the page limit: send `sync` again with your new cursors. */
  more: Type.Boolean(),
});
/** JSON Schema (TypeBox) of the server's `receipt` frame. */
export const ReceiptFrameSchema = Type.Object({
  /** The frame type: always `receipt`. */
  type: Type.Literal("receipt"),
  /** The conversation. */
  conversationId: Type.String(),
  /** Whose cursor moved. */
  userId: Type.String(),
  /** The new cursor as stored: everything up to it is delivered to, or read by, `userId`. */
  seq: Type.Integer(),
  /** Which cursor moved: `delivered` or `read`. */
  kind: Type.Union([Type.Literal("delivered"), Type.Literal("read")]),
});
/** One receipt in a `receipts` frame: the fields of a `receipt` frame without `type`. */
export const ReceiptEntrySchema = Type.Object({
  /** The conversation. */
  conversationId: Type.String(),
  /** Whose cursor moved. */
  userId: Type.String(),
  /** The new cursor as stored: everything up to it is delivered to, or read by, `userId`. */
  seq: Type.Integer(),
  /** Which cursor moved: `delivered` or `read`. */
  kind: Type.Union([Type.Literal("delivered"), Type.Literal("read")]),
});
/**
 * JSON Schema (TypeBox) of the server's `receipts` frame (addition, §5.3): the receipts for
 * one connection over a short window, only to a client that announced `receipt-batch`. Each
 * entry means what a `receipt` frame with its fields would.
 */
export const ReceiptsFrameSchema = Type.Object({
  /** The frame type: always `receipts`. */
  type: Type.Literal("receipts"),
  /**
   * Addition (§5.3, `sent-batch`): answers to this connection's `send` frames the server held,
   * each meaning what a `sent` frame with its fields would; apply them before `receipts`.
   */
  sent: Type.Optional(Type.Array(SentEntrySchema)),
  /**
   * The receipts: at most one entry per (conversation, user, kind), with the highest seq the server
   * had (empty when the frame carries only `sent` answers).
   */
  receipts: Type.Array(ReceiptEntrySchema),
});
/** JSON Schema (TypeBox) of the server's `recalled` frame. */
export const RecalledFrameSchema = Type.Object({
  /** The frame type: always `recalled`. */
  type: Type.Literal("recalled"),
  /** The recalled message. */
  messageId: Type.String(),
  /** The recalled message's conversation. */
  conversationId: Type.String(),
  /** The recalled message's seq. */
  seq: Type.Integer(),
  /** Who recalled it: the sender, a group owner or admin, or a service admin (see `reason`). */
  by: Type.String(),
  /** Addition: `admin` when an admin removed the message (`by` is then the admin). */
  reason: Type.Optional(Type.Literal("admin")),
});
/** JSON Schema (TypeBox) of the server's `typing` frame. */
export const TypingNoticeFrameSchema = Type.Object({
  /** The frame type: always `typing`. */
  type: Type.Literal("typing"),
  /** The conversation where someone types. */
  conversationId: Type.String(),
  /** Who is typing. */
  from: Type.String(),
});
/** JSON Schema (TypeBox) of the server's `signal` frame. */
export const SignalNoticeFrameSchema = Type.Object({
  /** The frame type: always `signal`. */
  type: Type.Literal("signal"),
  /** The caller. */
  from: Type.String(),
  /** The caller's id for the call, as sent. */
  callId: Type.String(),
  /** The signalling payload, as sent. */
  data: Type.Unknown(),
});
/** JSON Schema (TypeBox) of the server's `presence` frame. */
export const PresenceFrameSchema = Type.Object({
  /** The frame type: always `presence`. */
  type: Type.Literal("presence"),
  /** Whose presence changed. */
  userId: Type.String(),
  /** `true` when the user came online, `false` when their last session (on every node) closed. */
  online: Type.Boolean(),
  /** Lucky IM addition: when the user was last online (ms), unless they hide it. */
  lastSeen: Type.Optional(Type.Number()),
});
/** One user's status in a `presence_state` frame. */
export const PresenceStatusSchema = Type.Object({
  /** The user. */
  userId: Type.String(),
  /** `true` while the user has a session on a live node. */
  online: Type.Boolean(),
  /** When the user was last online (ms), unless unknown or hidden by the user. */
  lastSeen: Type.Optional(Type.Number()),
});
/** Lucky IM addition: the answer to `presence_subscribe`, the current status of each user watched. */
export const PresenceStateFrameSchema = Type.Object({
  /** The frame type: always `presence_state`. */
  type: Type.Literal("presence_state"),
  /** One entry per user you may see, in the order asked; the others are left out. */
  users: Type.Array(PresenceStatusSchema),
  /** The `cid` of the `presence_subscribe` frame. */
  cid: Type.Optional(Type.String()),
});
/** Lucky IM addition: a user's public profile changed. */
export const ProfileFrameSchema = Type.Object({
  /** The frame type: always `profile`. */
  type: Type.Literal("profile"),
  /** Whose profile changed. */
  userId: Type.String(),
  /** The name to show; `""` when none is set (show the username). */
  displayName: Type.String(),
  /** The avatar's file URL, or null when there is none. */
  avatar: Type.Union([Type.String(), Type.Null()]),
  /** When the profile changed (ms since the epoch); keep the newest. */
  updatedAt: Type.Number(),
});
/** Lucky IM addition: the user's own settings of a conversation changed (on another device, or by the server). */
export const ConversationSettingsFrameSchema = Type.Object({
  /** The frame type: always `conversation_settings`. */
  type: Type.Literal("conversation_settings"),
  /** The conversation. */
  conversationId: Type.String(),
  /** When you pinned the conversation (ms since the epoch), or null. */
  pinnedAt: Type.Union([Type.Number(), Type.Null()]),
  /**
   * Muted until this time (ms since the epoch), `forever`, or null; a past time means not muted.
   */
  mutedUntil: Type.Union([Type.Number(), Type.Literal("forever"), Type.Null()]),
  /** Whether you archived the conversation. */
  archived: Type.Boolean(),
  /** Whether you marked the conversation unread; cleared when you `read` it. */
  markedUnread: Type.Boolean(),
});
/** JSON Schema (TypeBox) of the group event. */
export const GroupEventSchema = Type.Union([
  Type.Literal("created"),
  Type.Literal("member_added"),
  Type.Literal("member_removed"),
  Type.Literal("updated"),
  Type.Literal("dismissed"),
  Type.Literal("join_requested"),
  Type.Literal("join_declined"),
  Type.Literal("invited"),
  Type.Literal("invitation_declined"),
  Type.Literal("announcement"),
]);
/** A group event, as validated by `GroupEventSchema`. */
export type GroupEvent = Static<typeof GroupEventSchema>;
/** JSON Schema (TypeBox) of the server's `group` frame. */
export const GroupFrameSchema = Type.Object({
  /** The frame type: always `group`. */
  type: Type.Literal("group"),
  /** The group. */
  groupId: Type.String(),
  /** What happened to the group; a client that does not know the event ignores the frame. */
  event: GroupEventSchema,
  /** The users concerned; which ones depends on `event` (§5.5). */
  userIds: Type.Array(Type.String()),
  /** Who did it. */
  by: Type.String(),
  /**
   * With `event: "announcement"` only: the new announcement (`text`, its author `by`, the
   * time `at` in ms), or null when it was removed.
   */
  announcement: Type.Optional(
    Type.Union([
      Type.Object({
        /** The announcement's text. */
        text: Type.String(),
        /** The announcement's author. */
        by: Type.String(),
        /** When the announcement was set (ms since the epoch). */
        at: Type.Number(),
      }),
      Type.Null(),
    ]),
  ),
});
/** JSON Schema (TypeBox) of the contact event (Lucky IM addition). */
export const ContactEventSchema = Type.Union([
  Type.Literal("requested"),
  Type.Literal("accepted"),
  Type.Literal("declined"),
  Type.Literal("cancelled"),
  Type.Literal("removed"),
  Type.Literal("remark"),
  Type.Literal("blocked"),
  Type.Literal("unblocked"),
  Type.Literal("privacy"),
]);
/** A contact event, as validated by `ContactEventSchema`. */
export type ContactEvent = Static<typeof ContactEventSchema>;
/**
 * JSON Schema (TypeBox) of the server's `contact` frame (Lucky IM addition): a change to
 * the contacts, requests, blocks or privacy of the receiving user. `by` made the change,
 * `userId` is the other user of the pair (absent for `privacy`).
 */
export const ContactFrameSchema = Type.Object({
  /** The frame type: always `contact`. */
  type: Type.Literal("contact"),
  /** What changed. */
  event: ContactEventSchema,
  /** Who made the change. */
  by: Type.String(),
  /** The other user of the pair; absent for `privacy`. */
  userId: Type.Optional(Type.String()),
  /** With `requested`: the request's message. */
  message: Type.Optional(Type.String()),
});
/** JSON Schema (TypeBox) of the server's `pong` frame. */
export const PongFrameSchema = Type.Object({
  /** The frame type: always `pong`. */
  type: Type.Literal("pong"),
  /** The `ts` of the `ping`; absent when the `ping` had none. */
  ts: Type.Optional(Type.Number()),
});
/** JSON Schema (TypeBox) of the server's `error` frame. */
export const ErrorFrameSchema = Type.Object({
  /** The frame type: always `error`. */
  type: Type.Literal("error"),
  /** One of the error codes (`ErrorCode`, §7): match on it. */
  code: Type.String(),
  /** A sentence for logs and developers; its wording is not stable. */
  message: Type.String(),
  /** The `cid` of the frame this error answers, when that frame had one that could be read. */
  cid: Type.Optional(Type.String()),
});
/** Lucky IM addition: the access token of this connection expires soon; send a fresh `auth`. */
export const AuthExpiringFrameSchema = Type.Object({
  /** The frame type: always `auth_expiring`. */
  type: Type.Literal("auth_expiring"),
  /** When the connection's token expires (ms since the epoch): send a fresh `auth` before. */
  expiresAt: Type.Number(),
});

/** The kinds of a change (§13.1). */
export const ChangeKindSchema = Type.Union([
  Type.Literal("edited"),
  Type.Literal("recalled"),
  Type.Literal("reacted"),
  Type.Literal("unreacted"),
  Type.Literal("pinned"),
  Type.Literal("unpinned"),
  Type.Literal("deleted"),
  Type.Literal("cleared"),
]);
/** JSON Schema (TypeBox) of the server's `change` frame (addition, §13.3). */
export const ChangeFrameSchema = Type.Object({
  /** The frame type: always `change`. */
  type: Type.Literal("change"),
  /** The change (§13.1). */
  change: Type.Object({
    /** The conversation of the changed message. */
    conversationId: Type.String(),
    /**
     * The change's place in the conversation's change log (1, 2, 3, ...): apply changes in this
     * order.
     */
    changeSeq: Type.Integer(),
    /** What happened. */
    kind: ChangeKindSchema,
    /** The changed message. */
    messageId: Type.String(),
    /** The changed message's seq; for `cleared`, the last message cleared. */
    seq: Type.Integer(),
    /** Who made the change. */
    by: Type.String(),
    /** When the change was made (ms since the epoch); for `edited`, the message's `editedAt`. */
    ts: Type.Number(),
    /** With `edited`: the new body. */
    body: Type.Optional(MessageBodySchema),
    /** With `reacted` and `unreacted`: the reaction key (such as an emoji). */
    key: Type.Optional(Type.String()),
  }),
});
/** JSON Schema (TypeBox) of the server's `applied` frame (addition, §13.2). */
export const AppliedFrameSchema = Type.Object({
  /** The frame type: always `applied`. */
  type: Type.Literal("applied"),
  /** The `cid` of the change frame, when it had one. */
  cid: Type.Optional(Type.String()),
  /** Absent when nothing changed (a repeated reaction, a second pin). */
  changeSeq: Type.Optional(Type.Integer()),
});

/** JSON Schema (TypeBox) of the server's `forwarded` frame, the answer to `forward` (addition, §13.2). */
export const ForwardedFrameSchema = Type.Object({
  /** The frame type: always `forwarded`. */
  type: Type.Literal("forwarded"),
  /** The `cid` of the `forward`. */
  cid: Type.String(),
  /** One copy per target, in the order of the frame's `to`. */
  messages: Type.Array(
    Type.Object({
      /** The copy's id. */
      messageId: Type.String(),
      /** The conversation the copy went to. */
      conversationId: Type.String(),
      /** The copy's seq in that conversation. */
      seq: Type.Integer(),
      /** When the copy was stored (ms since the epoch). */
      ts: Type.Number(),
    }),
  ),
});

/** A forwarded frame, as validated by `ForwardedFrameSchema`. */
export type ForwardedFrame = Static<typeof ForwardedFrameSchema>;
/** A change frame, as validated by `ChangeFrameSchema`. */
export type ChangeFrame = Static<typeof ChangeFrameSchema>;
/** An applied frame, as validated by `AppliedFrameSchema`. */
export type AppliedFrame = Static<typeof AppliedFrameSchema>;
/** A ready frame, as validated by `ReadyFrameSchema`. */
export type ReadyFrame = Static<typeof ReadyFrameSchema>;
/** A sent frame, as validated by `SentFrameSchema`. */
export type SentFrame = Static<typeof SentFrameSchema>;
/** A message frame, as validated by `MessageFrameSchema`. */
export type MessageFrame = Static<typeof MessageFrameSchema>;
/** A synced frame, as validated by `SyncedFrameSchema`. */
export type SyncedFrame = Static<typeof SyncedFrameSchema>;
/** A receipt frame, as validated by `ReceiptFrameSchema`. */
export type ReceiptFrame = Static<typeof ReceiptFrameSchema>;
/** One entry of a receipts frame, as validated by `ReceiptEntrySchema`. */
export type ReceiptEntry = Static<typeof ReceiptEntrySchema>;
/** One `sent` answer of a receipts frame, as validated by `SentEntrySchema`. */
export type SentEntry = Static<typeof SentEntrySchema>;
/** A receipts frame, as validated by `ReceiptsFrameSchema`. */
export type ReceiptsFrame = Static<typeof ReceiptsFrameSchema>;
/** A recalled frame, as validated by `RecalledFrameSchema`. */
export type RecalledFrame = Static<typeof RecalledFrameSchema>;
/** A typing notice frame, as validated by `TypingNoticeFrameSchema`. */
export type TypingNoticeFrame = Static<typeof TypingNoticeFrameSchema>;
/** A signal notice frame, as validated by `SignalNoticeFrameSchema`. */
export type SignalNoticeFrame = Static<typeof SignalNoticeFrameSchema>;
/** A presence frame, as validated by `PresenceFrameSchema`. */
export type PresenceFrame = Static<typeof PresenceFrameSchema>;
/** A presence state frame, as validated by `PresenceStateFrameSchema`. */
export type PresenceStateFrame = Static<typeof PresenceStateFrameSchema>;
/** One user's status, as validated by `PresenceStatusSchema`. */
export type PresenceStatus = Static<typeof PresenceStatusSchema>;
/** A profile frame, as validated by `ProfileFrameSchema`. */
export type ProfileFrame = Static<typeof ProfileFrameSchema>;
/** A conversation settings frame, as validated by `ConversationSettingsFrameSchema`. */
export type ConversationSettingsFrame = Static<typeof ConversationSettingsFrameSchema>;
/** A group frame, as validated by `GroupFrameSchema`. */
export type GroupFrame = Static<typeof GroupFrameSchema>;
/** A contact frame, as validated by `ContactFrameSchema`. */
export type ContactFrame = Static<typeof ContactFrameSchema>;
/** A pong frame, as validated by `PongFrameSchema`. */
export type PongFrame = Static<typeof PongFrameSchema>;
/** An error frame, as validated by `ErrorFrameSchema`. */
export type ErrorFrame = Static<typeof ErrorFrameSchema>;
/** An auth expiring frame, as validated by `AuthExpiringFrameSchema`. */
export type AuthExpiringFrame = Static<typeof AuthExpiringFrameSchema>;

/** Every frame a server may send. */
export type ServerFrame =
  | ReadyFrame
  | SentFrame
  | MessageFrame
  | SyncedFrame
  | ReceiptFrame
  | ReceiptsFrame
  | RecalledFrame
  | TypingNoticeFrame
  | SignalNoticeFrame
  | PresenceFrame
  | PresenceStateFrame
  | ProfileFrame
  | ConversationSettingsFrame
  | GroupFrame
  | ContactFrame
  | PongFrame
  | ErrorFrame
  | AuthExpiringFrame
  | ChangeFrame
  | AppliedFrame
  | ForwardedFrame;
