import { ConversationIdSchema, SeqSchema, UserIdSchema } from "@lucky-im/core";
import { type Static, Type } from "@sinclair/typebox";

/**
 * TypeBox schemas of the HTTP API's request bodies, params and queries
 * (PROTOCOL.md, "Example server HTTP API"). Fastify validates them as JSON
 * Schema; a failure answers 400 `bad_request`.
 */

const Username = Type.String({ minLength: 1, maxLength: 64 });
const Password = Type.String({ minLength: 1, maxLength: 1024 });

export const RegisterBody = Type.Object({ username: Username, password: Password });
export type RegisterBody = Static<typeof RegisterBody>;

export const LoginBody = Type.Union([
  Type.Object({ username: Username, password: Password }),
  Type.Object({ username: Username, passwordJwe: Type.String({ minLength: 1, maxLength: 8192 }) }),
]);
export type LoginBody = Static<typeof LoginBody>;

export const RefreshBody = Type.Object({
  refreshToken: Type.String({ minLength: 1, maxLength: 256 }),
});
export type RefreshBody = Static<typeof RefreshBody>;

export const LogoutBody = RefreshBody;
export type LogoutBody = RefreshBody;

export const ChangePasswordBody = Type.Object({
  currentPassword: Password,
  newPassword: Password,
});
export type ChangePasswordBody = Static<typeof ChangePasswordBody>;

export const GroupName = Type.String({ minLength: 1, maxLength: 100 });

export const CreateGroupBody = Type.Object({
  name: GroupName,
  members: Type.Array(UserIdSchema, { maxItems: 1000 }),
});
export type CreateGroupBody = Static<typeof CreateGroupBody>;

export const AddMembersBody = Type.Object({
  userIds: Type.Array(UserIdSchema, { minItems: 1, maxItems: 1000 }),
});
export type AddMembersBody = Static<typeof AddMembersBody>;

export const GroupParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 128, pattern: UserIdSchema.pattern }),
});
export type GroupParams = Static<typeof GroupParams>;

export const GroupMemberParams = Type.Object({
  id: GroupParams.properties.id,
  userId: UserIdSchema,
});
export type GroupMemberParams = Static<typeof GroupMemberParams>;

export const RenameGroupBody = Type.Object({ name: GroupName });
export type RenameGroupBody = Static<typeof RenameGroupBody>;

export const SetRoleBody = Type.Object({
  role: Type.Union([Type.Literal("admin"), Type.Literal("member")]),
});
export type SetRoleBody = Static<typeof SetRoleBody>;

/** The upper bound is `LUCKY_IM_MAX_GROUP_MUTE_SECONDS`, checked by the route. */
export const MuteMemberBody = Type.Object({
  durationSeconds: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
});
export type MuteMemberBody = Static<typeof MuteMemberBody>;

export const MuteAllBody = Type.Object({ mutedAll: Type.Boolean() });
export type MuteAllBody = Static<typeof MuteAllBody>;

export const TransferOwnerBody = Type.Object({ userId: UserIdSchema });
export type TransferOwnerBody = Static<typeof TransferOwnerBody>;

/** A page of a list ordered by id: `cursor` is the last id of the previous page. */
export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 128, pattern: UserIdSchema.pattern }),
  ),
});
export type PageQuery = Static<typeof PageQuery>;

export const ConversationParams = Type.Object({ id: ConversationIdSchema });
export type ConversationParams = Static<typeof ConversationParams>;

export const ConversationsQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
});
export type ConversationsQuery = Static<typeof ConversationsQuery>;

export const HistoryQuery = Type.Object({
  beforeSeq: Type.Optional(Type.Integer({ minimum: 1, maximum: SeqSchema.maximum })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});
export type HistoryQuery = Static<typeof HistoryQuery>;

export const UserParams = Type.Object({ userId: UserIdSchema });
export type UserParams = Static<typeof UserParams>;

export const UploadQuery = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});
export type UploadQuery = Static<typeof UploadQuery>;

export const FileParams = Type.Object({ fileId: Type.String({ minLength: 1, maxLength: 64 }) });
export type FileParams = Static<typeof FileParams>;

/** The longest push token accepted (a Web Push subscription's JSON is about 500 characters). */
export const MAX_PUSH_TOKEN_LENGTH = 4096;

/**
 * A push device id: up to 100 URL-safe characters, so that it fits the
 * `DELETE /push/devices/:deviceId` path (Fastify answers 414 to longer path parameters).
 */
const PushDeviceId = Type.String({ pattern: "^[A-Za-z0-9._:-]{1,100}$" });

export const PushDeviceBody = Type.Object({
  deviceId: PushDeviceId,
  platform: Type.Union([Type.Literal("web"), Type.Literal("fcm")]),
  token: Type.String({ minLength: 1, maxLength: MAX_PUSH_TOKEN_LENGTH }),
});
export type PushDeviceBody = Static<typeof PushDeviceBody>;

export const PushDeviceParams = Type.Object({ deviceId: PushDeviceId });
export type PushDeviceParams = Static<typeof PushDeviceParams>;
