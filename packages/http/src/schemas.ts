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
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
});
export type ConversationsQuery = Static<typeof ConversationsQuery>;

export const HistoryQuery = Type.Object({
  beforeSeq: Type.Optional(Type.Integer({ minimum: 1, maximum: SeqSchema.maximum })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});
export type HistoryQuery = Static<typeof HistoryQuery>;

export const UserParams = Type.Object({ userId: UserIdSchema });
/** The pattern of a user id (anchored), for ids inside other strings. */
export const UserIdSchemaPattern: string = UserIdSchema.pattern as string;
export type UserParams = Static<typeof UserParams>;

/** The conversation an upload is for (an attachment), optional on every upload route. */
export const UploadConversationId = Type.Optional(Type.String({ minLength: 3, maxLength: 300 }));

export const UploadQuery = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  conversationId: UploadConversationId,
});
export type UploadQuery = Static<typeof UploadQuery>;

export const FileParams = Type.Object({ fileId: Type.String({ minLength: 1, maxLength: 64 }) });
export type FileParams = Static<typeof FileParams>;

/** The signed grant of a members-only download URL (`GET /files/:fileId?expires=..&sig=..`). */
export const FileQuery = Type.Object({
  expires: Type.Optional(Type.String({ maxLength: 20 })),
  sig: Type.Optional(Type.String({ maxLength: 100 })),
});
export type FileQuery = Static<typeof FileQuery>;

/** A join request or invitation id in a path. */
export const TicketParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9_-]+$" }),
});
export type TicketParams = Static<typeof TicketParams>;

/** An invite link's code in a path. */
export const InviteLinkParams = Type.Object({
  code: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_-]+$" }),
});
export type InviteLinkParams = Static<typeof InviteLinkParams>;

export const JoinSettingsBody = Type.Object(
  {
    joinMode: Type.Optional(
      Type.Union([Type.Literal("open"), Type.Literal("approval"), Type.Literal("invite")]),
    ),
    invitePolicy: Type.Optional(Type.Union([Type.Literal("members"), Type.Literal("admins")])),
  },
  { minProperties: 1, additionalProperties: false },
);
export type JoinSettingsBody = Static<typeof JoinSettingsBody>;

/** The engine checks the configured length; this only bounds what is parsed. */
const JoinMessage = Type.String({ maxLength: 4000 });

export const JoinRequestBody = Type.Object({ message: Type.Optional(JoinMessage) });
export type JoinRequestBody = Static<typeof JoinRequestBody>;

export const InviteBody = Type.Object({
  userId: UserIdSchema,
  message: Type.Optional(JoinMessage),
});
export type InviteBody = Static<typeof InviteBody>;

export const InviteLinkBody = Type.Object({
  ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 31_536_000 })),
  maxUses: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
});
export type InviteLinkBody = Static<typeof InviteLinkBody>;
/** The message's upper bound matches the contact store's default `maxRequestMessageLength`. */
export const ContactRequestBody = Type.Object({
  userId: UserIdSchema,
  message: Type.Optional(Type.String({ maxLength: 200 })),
});
export type ContactRequestBody = Static<typeof ContactRequestBody>;

export const ContactRequestsQuery = Type.Object({
  direction: Type.Optional(Type.Union([Type.Literal("incoming"), Type.Literal("outgoing")])),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  cursor: PageQuery.properties.cursor,
});
export type ContactRequestsQuery = Static<typeof ContactRequestsQuery>;

export const PeoplePageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  cursor: PageQuery.properties.cursor,
});
export type PeoplePageQuery = Static<typeof PeoplePageQuery>;

/** The upper bound matches the contact store's default `maxRemarkLength`; null clears. */
export const RemarkBody = Type.Object({
  remark: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
});
export type RemarkBody = Static<typeof RemarkBody>;

export const PrivacyBody = Type.Object(
  {
    directMessages: Type.Optional(Type.Union([Type.Literal("anyone"), Type.Literal("contacts")])),
    groupInvites: Type.Optional(
      Type.Union([Type.Literal("anyone"), Type.Literal("contacts"), Type.Literal("nobody")]),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PrivacyBody = Static<typeof PrivacyBody>;
/** `PUT /conversations/:id/settings`: the fields to change. */
export const ConversationSettingsBody = Type.Object(
  {
    pinned: Type.Optional(Type.Boolean()),
    mutedUntil: Type.Optional(
      Type.Union([
        Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000 }),
        Type.Literal("forever"),
        Type.Null(),
      ]),
    ),
    archived: Type.Optional(Type.Boolean()),
    markedUnread: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ConversationSettingsBody = Static<typeof ConversationSettingsBody>;

/** `PATCH /profile`: the fields to change; the avatar is a file the user uploaded (`POST /files`). */
export const ProfileBody = Type.Object(
  {
    displayName: Type.Optional(Type.String({ maxLength: 1024 })),
    avatarFileId: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]),
    ),
    searchable: Type.Optional(Type.Boolean()),
    hideLastSeen: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ProfileBody = Static<typeof ProfileBody>;

/** `GET /profiles?ids=a,b`: comma-separated user ids (at most 100). */
export const ProfilesQuery = Type.Object({
  ids: Type.String({ minLength: 1, maxLength: 13_000 }),
});
export type ProfilesQuery = Static<typeof ProfilesQuery>;

/** `GET /users/search?q=prefix`: a name prefix, paged by user id. */
export const UserSearchQuery = Type.Object({
  q: Type.String({ minLength: 1, maxLength: 64 }),
  after: Type.Optional(UserIdSchema),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
});
export type UserSearchQuery = Static<typeof UserSearchQuery>;
/** `GET /search` (docs/protocol.md §13.5): the words, filters and the page cursor (`cursorTs` + `cursorId`). */
export const SearchQuery = Type.Object({
  q: Type.String({ minLength: 1, maxLength: 1024 }),
  conversationId: Type.Optional(ConversationIdSchema),
  from: Type.Optional(UserIdSchema),
  type: Type.Optional(
    Type.Union([
      Type.Literal("text"),
      Type.Literal("image"),
      Type.Literal("file"),
      Type.Literal("voice"),
      Type.Literal("video"),
      Type.Literal("location"),
      Type.Literal("custom"),
    ]),
  ),
  before: Type.Optional(Type.Integer({ minimum: 0 })),
  after: Type.Optional(Type.Integer({ minimum: 0 })),
  cursorTs: Type.Optional(Type.Integer({ minimum: 0 })),
  cursorId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
});
export type SearchQuery = Static<typeof SearchQuery>;
