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
  type: Type.Union([Type.Literal("user"), Type.Literal("group")]),
  id: UserIdSchema,
});
/** A target, as validated by `TargetSchema`. */
export type Target = Static<typeof TargetSchema>;

/** JSON Schema (TypeBox) of the text message body. */
export const TextBodySchema = Type.Object({
  type: Type.Literal("text"),
  text: Type.String({ minLength: 1 }),
});
const mediaFields = {
  url: Type.String({ minLength: 1, maxLength: 2048 }),
  name: Type.String({ minLength: 1, maxLength: 512 }),
  size: Type.Integer({ minimum: 0 }),
  mime: Type.String({ minLength: 1, maxLength: 255 }),
  width: Type.Optional(Type.Integer({ minimum: 0 })),
  height: Type.Optional(Type.Integer({ minimum: 0 })),
  durationMs: Type.Optional(Type.Integer({ minimum: 0 })),
  thumbnailUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
};
/** JSON Schema (TypeBox) of the media message body. */
export const MediaBodySchema = Type.Object({
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
  type: Type.Literal("location"),
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  lng: Type.Number({ minimum: -180, maximum: 180 }),
  label: Type.Optional(Type.String({ maxLength: 512 })),
});
/** JSON Schema (TypeBox) of the custom message body. */
export const CustomBodySchema = Type.Object({
  type: Type.Literal("custom"),
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
  type: Type.Literal("auth"),
  token: Type.String({ minLength: 1, maxLength: 8192 }),
  /** Lucky IM addition: the device this connection is, for multi-device policy. */
  device: Type.Optional(
    Type.Object({
      id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
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
  type: Type.Literal("send"),
  cid: CidSchema,
  to: TargetSchema,
  body: MessageBodySchema,
  /** Addition (§13.2): the id of a message of the same conversation this one replies to. */
  replyTo: Type.Optional(MessageIdSchema()),
  /** Addition (§13.2): mentioned user ids, or `["all"]` (the engine caps the count: `too_large`). */
  mentions: Type.Optional(Type.Array(UserIdSchema, { maxItems: 1000 })),
});
/** JSON Schema (TypeBox) of the client's `ack` frame. */
export const AckFrameSchema = Type.Object({
  type: Type.Literal("ack"),
  conversationId: ConversationIdSchema,
  seq: SeqSchema,
});
/** One conversation's cumulative ack in an `acks` frame. */
export const AckEntrySchema = Type.Object({
  conversationId: ConversationIdSchema,
  seq: SeqSchema,
});
/**
 * JSON Schema (TypeBox) of the client's `acks` frame (addition, §3.3): the cumulative acks of
 * many conversations in one frame, each entry handled as an `ack` frame would be. The engine
 * caps the entries (`maxAcksPerFrame`, `too_large`); the schema bound is only a ceiling on
 * what is parsed.
 */
export const AcksFrameSchema = Type.Object({
  type: Type.Literal("acks"),
  acks: Type.Array(AckEntrySchema, { minItems: 1, maxItems: 1000 }),
  /** Echoed in the `error` frames this frame causes. */
  cid: Type.Optional(CidSchema),
});
/** JSON Schema (TypeBox) of the client's `read` frame. */
export const ReadFrameSchema = Type.Object({
  type: Type.Literal("read"),
  conversationId: ConversationIdSchema,
  seq: SeqSchema,
});
/** JSON Schema (TypeBox) of the client's `sync` frame. */
export const SyncFrameSchema = Type.Object({
  type: Type.Literal("sync"),
  cursors: Type.Record(Type.String(), SeqSchema),
  limit: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Addition (§13.4): the last changeSeq applied per conversation; makes the session change-aware. */
  changes: Type.Optional(Type.Record(Type.String(), SeqSchema)),
});
/** JSON Schema (TypeBox) of the client's `recall` frame. */
export const RecallFrameSchema = Type.Object({
  type: Type.Literal("recall"),
  messageId: Type.String({ minLength: 1, maxLength: 64 }),
});
/** JSON Schema (TypeBox) of the client's `typing` frame. */
export const TypingFrameSchema = Type.Object({
  type: Type.Literal("typing"),
  to: TargetSchema,
});
/** JSON Schema (TypeBox) of the client's `signal` frame. */
export const SignalFrameSchema = Type.Object({
  type: Type.Literal("signal"),
  to: Type.Object({ type: Type.Literal("user"), id: UserIdSchema }),
  callId: Type.String({ minLength: 1, maxLength: 128 }),
  data: Type.Unknown(),
});
/** JSON Schema (TypeBox) of the client's `ping` frame. */
export const PingFrameSchema = Type.Object({
  type: Type.Literal("ping"),
  ts: Type.Optional(Type.Number()),
});

/**
 * Lucky IM addition: watch these users' presence (replaces the session's earlier list; an
 * empty list stops watching). Answered with `presence_state`, then `presence` on each change.
 */
export const PresenceSubscribeFrameSchema = Type.Object({
  type: Type.Literal("presence_subscribe"),
  userIds: Type.Array(UserIdSchema, { maxItems: 10_000 }),
  cid: Type.Optional(CidSchema),
});
// Changes (§13.2). The key and count limits past the schema's bounds are the engine's and the
// store's (`too_large`), so the schema bounds are only a ceiling on what is parsed.
/** JSON Schema (TypeBox) of the client's `edit` frame (addition, §13.2). */
export const EditFrameSchema = Type.Object({
  type: Type.Literal("edit"),
  cid: ChangeCidSchema(),
  messageId: MessageIdSchema(),
  body: MessageBodySchema,
});
/** JSON Schema (TypeBox) of the client's `react` frame (addition, §13.2). */
export const ReactFrameSchema = Type.Object({
  type: Type.Literal("react"),
  cid: ChangeCidSchema(),
  messageId: MessageIdSchema(),
  key: Type.String({ maxLength: 256 }),
  remove: Type.Optional(Type.Literal(true)),
});
/** JSON Schema (TypeBox) of the client's `pin` frame (addition, §13.2). */
export const PinFrameSchema = Type.Object({
  type: Type.Literal("pin"),
  cid: ChangeCidSchema(),
  messageId: MessageIdSchema(),
  remove: Type.Optional(Type.Literal(true)),
});
/** JSON Schema (TypeBox) of the client's `delete_for_me` frame (addition, §13.2). */
export const DeleteForMeFrameSchema = Type.Object({
  type: Type.Literal("delete_for_me"),
  cid: ChangeCidSchema(),
  messageId: MessageIdSchema(),
});
/** JSON Schema (TypeBox) of the client's `clear` frame (addition, §13.2). */
export const ClearFrameSchema = Type.Object({
  type: Type.Literal("clear"),
  cid: ChangeCidSchema(),
  conversationId: ConversationIdSchema,
  upToSeq: SeqSchema,
});

/**
 * JSON Schema (TypeBox) of the client's `forward` frame (addition, §13.2): a copy of a message
 * the user can read, into each target. The engine caps the targets (`maxForwardTargets`,
 * `too_large`); the schema bound is only a ceiling on what is parsed.
 */
export const ForwardFrameSchema = Type.Object({
  type: Type.Literal("forward"),
  cid: CidSchema,
  messageId: MessageIdSchema(),
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
  auth: AuthFrameSchema,
  send: SendFrameSchema,
  ack: AckFrameSchema,
  acks: AcksFrameSchema,
  read: ReadFrameSchema,
  sync: SyncFrameSchema,
  recall: RecallFrameSchema,
  typing: TypingFrameSchema,
  signal: SignalFrameSchema,
  ping: PingFrameSchema,
  presence_subscribe: PresenceSubscribeFrameSchema,
  edit: EditFrameSchema,
  react: ReactFrameSchema,
  pin: PinFrameSchema,
  delete_for_me: DeleteForMeFrameSchema,
  clear: ClearFrameSchema,
  forward: ForwardFrameSchema,
} as const;

/** The `type` of a client frame. */
export type ClientFrameType = keyof typeof CLIENT_FRAME_SCHEMAS;

// ---------------------------------------------------------------- server -> client

/** JSON Schema (TypeBox) of the server's `ready` frame. */
export const ReadyFrameSchema = Type.Object({
  type: Type.Literal("ready"),
  userId: Type.String(),
  sessionId: Type.String(),
  nodeId: Type.String(),
  heartbeatMs: Type.Integer(),
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
  type: Type.Literal("sent"),
  cid: Type.String(),
  messageId: Type.String(),
  conversationId: Type.String(),
  seq: Type.Integer(),
  ts: Type.Number(),
});
/** JSON Schema (TypeBox) of a reply reference in a `message` frame (addition, §13.2). */
export const ReplyReferenceSchema = Type.Object({
  messageId: Type.String(),
  seq: Type.Integer(),
  from: Type.String(),
  excerpt: Type.String(),
  recalled: Type.Optional(Type.Literal(true)),
});
/** A reply reference, as validated by `ReplyReferenceSchema`. */
export type ReplyReferenceFrame = Static<typeof ReplyReferenceSchema>;
/** JSON Schema (TypeBox) of the origin of a forwarded message in a `message` frame (addition, §13.2). */
export const ForwardOriginSchema = Type.Object({
  messageId: Type.String(),
  conversationId: Type.String(),
  /** The original sender; absent when the server hides it. */
  from: Type.Optional(Type.String()),
});
/** A forward origin, as validated by `ForwardOriginSchema`. */
export type ForwardOriginFrame = Static<typeof ForwardOriginSchema>;
/** JSON Schema (TypeBox) of the server's `message` frame. */
export const MessageFrameSchema = Type.Object({
  type: Type.Literal("message"),
  messageId: Type.String(),
  conversationId: Type.String(),
  seq: Type.Integer(),
  from: Type.String(),
  to: TargetSchema,
  body: MessageBodySchema,
  ts: Type.Number(),
  cid: Type.String(),
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
  type: Type.Literal("synced"),
  conversations: Type.Array(
    Type.Object({
      conversationId: Type.String(),
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
  more: Type.Boolean(),
});
/** JSON Schema (TypeBox) of the server's `receipt` frame. */
export const ReceiptFrameSchema = Type.Object({
  type: Type.Literal("receipt"),
  conversationId: Type.String(),
  userId: Type.String(),
  seq: Type.Integer(),
  kind: Type.Union([Type.Literal("delivered"), Type.Literal("read")]),
});
/** One receipt in a `receipts` frame: the fields of a `receipt` frame without `type`. */
export const ReceiptEntrySchema = Type.Object({
  conversationId: Type.String(),
  userId: Type.String(),
  seq: Type.Integer(),
  kind: Type.Union([Type.Literal("delivered"), Type.Literal("read")]),
});
/**
 * JSON Schema (TypeBox) of the server's `receipts` frame (addition, §5.3): the receipts for
 * one connection over a short window, only to a client that announced `receipt-batch`. Each
 * entry means what a `receipt` frame with its fields would.
 */
export const ReceiptsFrameSchema = Type.Object({
  type: Type.Literal("receipts"),
  receipts: Type.Array(ReceiptEntrySchema),
});
/** JSON Schema (TypeBox) of the server's `recalled` frame. */
export const RecalledFrameSchema = Type.Object({
  type: Type.Literal("recalled"),
  messageId: Type.String(),
  conversationId: Type.String(),
  seq: Type.Integer(),
  by: Type.String(),
  /** Addition: `admin` when an admin removed the message (`by` is then the admin). */
  reason: Type.Optional(Type.Literal("admin")),
});
/** JSON Schema (TypeBox) of the server's `typing` frame. */
export const TypingNoticeFrameSchema = Type.Object({
  type: Type.Literal("typing"),
  conversationId: Type.String(),
  from: Type.String(),
});
/** JSON Schema (TypeBox) of the server's `signal` frame. */
export const SignalNoticeFrameSchema = Type.Object({
  type: Type.Literal("signal"),
  from: Type.String(),
  callId: Type.String(),
  data: Type.Unknown(),
});
/** JSON Schema (TypeBox) of the server's `presence` frame. */
export const PresenceFrameSchema = Type.Object({
  type: Type.Literal("presence"),
  userId: Type.String(),
  online: Type.Boolean(),
  /** Lucky IM addition: when the user was last online (ms), unless they hide it. */
  lastSeen: Type.Optional(Type.Number()),
});
/** One user's status in a `presence_state` frame. */
export const PresenceStatusSchema = Type.Object({
  userId: Type.String(),
  online: Type.Boolean(),
  /** When the user was last online (ms), unless unknown or hidden by the user. */
  lastSeen: Type.Optional(Type.Number()),
});
/** Lucky IM addition: the answer to `presence_subscribe`, the current status of each user watched. */
export const PresenceStateFrameSchema = Type.Object({
  type: Type.Literal("presence_state"),
  users: Type.Array(PresenceStatusSchema),
  cid: Type.Optional(Type.String()),
});
/** Lucky IM addition: a user's public profile changed. */
export const ProfileFrameSchema = Type.Object({
  type: Type.Literal("profile"),
  userId: Type.String(),
  displayName: Type.String(),
  avatar: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.Number(),
});
/** Lucky IM addition: the user's own settings of a conversation changed (on another device, or by the server). */
export const ConversationSettingsFrameSchema = Type.Object({
  type: Type.Literal("conversation_settings"),
  conversationId: Type.String(),
  pinnedAt: Type.Union([Type.Number(), Type.Null()]),
  mutedUntil: Type.Union([Type.Number(), Type.Literal("forever"), Type.Null()]),
  archived: Type.Boolean(),
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
  type: Type.Literal("group"),
  groupId: Type.String(),
  event: GroupEventSchema,
  userIds: Type.Array(Type.String()),
  by: Type.String(),
  /**
   * With `event: "announcement"` only: the new announcement (`text`, its author `by`, the
   * time `at` in ms), or null when it was removed.
   */
  announcement: Type.Optional(
    Type.Union([
      Type.Object({ text: Type.String(), by: Type.String(), at: Type.Number() }),
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
  type: Type.Literal("contact"),
  event: ContactEventSchema,
  by: Type.String(),
  userId: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
});
/** JSON Schema (TypeBox) of the server's `pong` frame. */
export const PongFrameSchema = Type.Object({
  type: Type.Literal("pong"),
  ts: Type.Optional(Type.Number()),
});
/** JSON Schema (TypeBox) of the server's `error` frame. */
export const ErrorFrameSchema = Type.Object({
  type: Type.Literal("error"),
  code: Type.String(),
  message: Type.String(),
  cid: Type.Optional(Type.String()),
});
/** Lucky IM addition: the access token of this connection expires soon; send a fresh `auth`. */
export const AuthExpiringFrameSchema = Type.Object({
  type: Type.Literal("auth_expiring"),
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
  type: Type.Literal("change"),
  change: Type.Object({
    conversationId: Type.String(),
    changeSeq: Type.Integer(),
    kind: ChangeKindSchema,
    messageId: Type.String(),
    seq: Type.Integer(),
    by: Type.String(),
    ts: Type.Number(),
    body: Type.Optional(MessageBodySchema),
    key: Type.Optional(Type.String()),
  }),
});
/** JSON Schema (TypeBox) of the server's `applied` frame (addition, §13.2). */
export const AppliedFrameSchema = Type.Object({
  type: Type.Literal("applied"),
  cid: Type.Optional(Type.String()),
  /** Absent when nothing changed (a repeated reaction, a second pin). */
  changeSeq: Type.Optional(Type.Integer()),
});

/** JSON Schema (TypeBox) of the server's `forwarded` frame, the answer to `forward` (addition, §13.2). */
export const ForwardedFrameSchema = Type.Object({
  type: Type.Literal("forwarded"),
  cid: Type.String(),
  /** One copy per target, in the order of the frame's `to`. */
  messages: Type.Array(
    Type.Object({
      messageId: Type.String(),
      conversationId: Type.String(),
      seq: Type.Integer(),
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
