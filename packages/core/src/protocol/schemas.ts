import { type Static, Type } from "@sinclair/typebox";

/**
 * TypeBox schemas for every frame of the Lucky IM wire protocol, version 1.
 * The TypeScript types are derived from them, so the schema is the single
 * source of truth. TypeBox was chosen because its compiled validators are
 * among the fastest in JavaScript (they matter on the per-frame hot path) and
 * its schemas are plain JSON Schema, which HTTP frameworks such as Fastify
 * validate natively.
 */

/** Sub-protocol name clients offer and the server selects. */
export const PROTOCOL_NAME = "lucky-im.v1";

/** A user id: 1..128 characters, no whitespace, no `:` (it separates conversation id parts). */
export const UserIdSchema = Type.String({ minLength: 1, maxLength: 128, pattern: "^[^\\s:]+$" });
/** A conversation id: `d:<userA>:<userB>` or `g:<groupId>`. */
export const ConversationIdSchema = Type.String({
  minLength: 3,
  maxLength: 300,
  pattern: "^(d:[^\\s:]+:[^\\s:]+|g:[^\\s:]+)$",
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
export type Target = Static<typeof TargetSchema>;

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
export const MediaBodySchema = Type.Object({
  type: Type.Union([
    Type.Literal("image"),
    Type.Literal("voice"),
    Type.Literal("video"),
    Type.Literal("file"),
  ]),
  ...mediaFields,
});
export const LocationBodySchema = Type.Object({
  type: Type.Literal("location"),
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  lng: Type.Number({ minimum: -180, maximum: 180 }),
  label: Type.Optional(Type.String({ maxLength: 512 })),
});
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
export type TextBody = Static<typeof TextBodySchema>;
export type MediaBody = Static<typeof MediaBodySchema>;
export type LocationBody = Static<typeof LocationBodySchema>;
export type CustomBody = Static<typeof CustomBodySchema>;
export type MessageBody = Static<typeof MessageBodySchema>;
/** The `type` of a message body. */
export type MessageBodyType = MessageBody["type"];

// ---------------------------------------------------------------- client -> server

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
});
export const SendFrameSchema = Type.Object({
  type: Type.Literal("send"),
  cid: CidSchema,
  to: TargetSchema,
  body: MessageBodySchema,
});
export const AckFrameSchema = Type.Object({
  type: Type.Literal("ack"),
  conversationId: ConversationIdSchema,
  seq: SeqSchema,
});
export const ReadFrameSchema = Type.Object({
  type: Type.Literal("read"),
  conversationId: ConversationIdSchema,
  seq: SeqSchema,
});
export const SyncFrameSchema = Type.Object({
  type: Type.Literal("sync"),
  cursors: Type.Record(Type.String(), SeqSchema),
  limit: Type.Optional(Type.Integer({ minimum: 1 })),
});
export const RecallFrameSchema = Type.Object({
  type: Type.Literal("recall"),
  messageId: Type.String({ minLength: 1, maxLength: 64 }),
});
export const TypingFrameSchema = Type.Object({
  type: Type.Literal("typing"),
  to: TargetSchema,
});
export const SignalFrameSchema = Type.Object({
  type: Type.Literal("signal"),
  to: Type.Object({ type: Type.Literal("user"), id: UserIdSchema }),
  callId: Type.String({ minLength: 1, maxLength: 128 }),
  data: Type.Unknown(),
});
export const PingFrameSchema = Type.Object({
  type: Type.Literal("ping"),
  ts: Type.Optional(Type.Number()),
});

export type AuthFrame = Static<typeof AuthFrameSchema>;
export type SendFrame = Static<typeof SendFrameSchema>;
export type AckFrame = Static<typeof AckFrameSchema>;
export type ReadFrame = Static<typeof ReadFrameSchema>;
export type SyncFrame = Static<typeof SyncFrameSchema>;
export type RecallFrame = Static<typeof RecallFrameSchema>;
export type TypingFrame = Static<typeof TypingFrameSchema>;
export type SignalFrame = Static<typeof SignalFrameSchema>;
export type PingFrame = Static<typeof PingFrameSchema>;

/** Every frame a client may send. */
export type ClientFrame =
  | AuthFrame
  | SendFrame
  | AckFrame
  | ReadFrame
  | SyncFrame
  | RecallFrame
  | TypingFrame
  | SignalFrame
  | PingFrame;

/** The schema of each client frame, by `type`. */
export const CLIENT_FRAME_SCHEMAS = {
  auth: AuthFrameSchema,
  send: SendFrameSchema,
  ack: AckFrameSchema,
  read: ReadFrameSchema,
  sync: SyncFrameSchema,
  recall: RecallFrameSchema,
  typing: TypingFrameSchema,
  signal: SignalFrameSchema,
  ping: PingFrameSchema,
} as const;

/** The `type` of a client frame. */
export type ClientFrameType = keyof typeof CLIENT_FRAME_SCHEMAS;

// ---------------------------------------------------------------- server -> client

export const ReadyFrameSchema = Type.Object({
  type: Type.Literal("ready"),
  userId: Type.String(),
  sessionId: Type.String(),
  nodeId: Type.String(),
  heartbeatMs: Type.Integer(),
  serverTime: Type.Number(),
});
export const SentFrameSchema = Type.Object({
  type: Type.Literal("sent"),
  cid: Type.String(),
  messageId: Type.String(),
  conversationId: Type.String(),
  seq: Type.Integer(),
  ts: Type.Number(),
});
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
});
export const SyncedFrameSchema = Type.Object({
  type: Type.Literal("synced"),
  conversations: Type.Array(
    Type.Object({ conversationId: Type.String(), lastSeq: Type.Integer() }),
  ),
  more: Type.Boolean(),
});
export const ReceiptFrameSchema = Type.Object({
  type: Type.Literal("receipt"),
  conversationId: Type.String(),
  userId: Type.String(),
  seq: Type.Integer(),
  kind: Type.Union([Type.Literal("delivered"), Type.Literal("read")]),
});
export const RecalledFrameSchema = Type.Object({
  type: Type.Literal("recalled"),
  messageId: Type.String(),
  conversationId: Type.String(),
  seq: Type.Integer(),
  by: Type.String(),
});
export const TypingNoticeFrameSchema = Type.Object({
  type: Type.Literal("typing"),
  conversationId: Type.String(),
  from: Type.String(),
});
export const SignalNoticeFrameSchema = Type.Object({
  type: Type.Literal("signal"),
  from: Type.String(),
  callId: Type.String(),
  data: Type.Unknown(),
});
export const PresenceFrameSchema = Type.Object({
  type: Type.Literal("presence"),
  userId: Type.String(),
  online: Type.Boolean(),
});
export const GroupEventSchema = Type.Union([
  Type.Literal("created"),
  Type.Literal("member_added"),
  Type.Literal("member_removed"),
  Type.Literal("updated"),
  Type.Literal("dismissed"),
]);
export type GroupEvent = Static<typeof GroupEventSchema>;
export const GroupFrameSchema = Type.Object({
  type: Type.Literal("group"),
  groupId: Type.String(),
  event: GroupEventSchema,
  userIds: Type.Array(Type.String()),
  by: Type.String(),
});
export const PongFrameSchema = Type.Object({
  type: Type.Literal("pong"),
  ts: Type.Optional(Type.Number()),
});
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

export type ReadyFrame = Static<typeof ReadyFrameSchema>;
export type SentFrame = Static<typeof SentFrameSchema>;
export type MessageFrame = Static<typeof MessageFrameSchema>;
export type SyncedFrame = Static<typeof SyncedFrameSchema>;
export type ReceiptFrame = Static<typeof ReceiptFrameSchema>;
export type RecalledFrame = Static<typeof RecalledFrameSchema>;
export type TypingNoticeFrame = Static<typeof TypingNoticeFrameSchema>;
export type SignalNoticeFrame = Static<typeof SignalNoticeFrameSchema>;
export type PresenceFrame = Static<typeof PresenceFrameSchema>;
export type GroupFrame = Static<typeof GroupFrameSchema>;
export type PongFrame = Static<typeof PongFrameSchema>;
export type ErrorFrame = Static<typeof ErrorFrameSchema>;
export type AuthExpiringFrame = Static<typeof AuthExpiringFrameSchema>;

/** Every frame a server may send. */
export type ServerFrame =
  | ReadyFrame
  | SentFrame
  | MessageFrame
  | SyncedFrame
  | ReceiptFrame
  | RecalledFrame
  | TypingNoticeFrame
  | SignalNoticeFrame
  | PresenceFrame
  | GroupFrame
  | PongFrame
  | ErrorFrame
  | AuthExpiringFrame;
