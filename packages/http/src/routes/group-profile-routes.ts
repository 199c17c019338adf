import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { fileUrl, isFileId } from "../file-ids.js";
import { httpError } from "../http-errors.js";
import { authenticateBeforeBody, type RouteContext } from "../route-context.js";
import { GroupParams } from "../schemas.js";

/**
 * Generous upper bounds for the body schemas only: the engine's limits (`maxGroupDescription`,
 * `maxGroupAnnouncement`) decide, and answer 413 with their own message.
 */
const LongText = Type.String({ maxLength: 100_000 });

const DescriptionBody = Type.Object({ description: LongText }, { additionalProperties: false });
type DescriptionBody = Static<typeof DescriptionBody>;

const AnnouncementBody = Type.Object({ text: LongText }, { additionalProperties: false });
type AnnouncementBody = Static<typeof AnnouncementBody>;

const AvatarBody = Type.Object(
  { fileId: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);
type AvatarBody = Static<typeof AvatarBody>;

const PostPolicyBody = Type.Object(
  { postPolicy: Type.Union([Type.Literal("everyone"), Type.Literal("admins")]) },
  { additionalProperties: false },
);
type PostPolicyBody = Static<typeof PostPolicyBody>;

/**
 * `/groups/:id/description`, `/announcement`, `/avatar` (PUT, DELETE) and `/post-policy`: a
 * group's profile and who may post, through the engine (`im.groups`), which checks the role
 * (owner or admin), the limits, and tells the members with `group` frames.
 */
export function registerGroupProfileRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { im, files } = ctx;
  const beforeBody = authenticateBeforeBody(ctx);

  app.put<{ Params: GroupParams; Body: DescriptionBody }>(
    "/groups/:id/description",
    { schema: { params: GroupParams, body: DescriptionBody }, onRequest: beforeBody },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      await im.groups.setDescription(request.params.id, userId, request.body.description);
      return reply.status(204).send();
    },
  );

  app.put<{ Params: GroupParams; Body: AnnouncementBody }>(
    "/groups/:id/announcement",
    { schema: { params: GroupParams, body: AnnouncementBody }, onRequest: beforeBody },
    async (request) => {
      const userId = await ctx.authenticate(request);
      const announcement = await im.groups.setAnnouncement(
        request.params.id,
        userId,
        request.body.text,
      );
      return { announcement };
    },
  );

  app.delete<{ Params: GroupParams }>(
    "/groups/:id/announcement",
    { schema: { params: GroupParams } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      await im.groups.setAnnouncement(request.params.id, userId, null);
      return reply.status(204).send();
    },
  );

  app.put<{ Params: GroupParams; Body: AvatarBody }>(
    "/groups/:id/avatar",
    { schema: { params: GroupParams, body: AvatarBody }, onRequest: beforeBody },
    async (request) => {
      const userId = await ctx.authenticate(request);
      const { fileId } = request.body;
      // Only an image this user uploaded (`POST /files`; its thumbnail too): the avatar is
      // served to every member, so nobody may publish someone else's file through it.
      if (!files) throw httpError("not_found", "files are not served here");
      const found = isFileId(fileId) ? await files.head(fileId) : undefined;
      if (!found || found.ownerId !== userId)
        throw httpError("bad_request", "fileId names no file you uploaded");
      if (!found.mime.startsWith("image/"))
        throw httpError("bad_request", "a group avatar must be an image");
      const avatar = fileUrl(fileId);
      await im.groups.setAvatar(request.params.id, userId, avatar);
      return { avatar };
    },
  );

  app.delete<{ Params: GroupParams }>(
    "/groups/:id/avatar",
    { schema: { params: GroupParams } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      await im.groups.setAvatar(request.params.id, userId, null);
      return reply.status(204).send();
    },
  );

  app.put<{ Params: GroupParams; Body: PostPolicyBody }>(
    "/groups/:id/post-policy",
    { schema: { params: GroupParams, body: PostPolicyBody }, onRequest: beforeBody },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      await im.groups.setPostPolicy(request.params.id, userId, request.body.postPolicy);
      return reply.status(204).send();
    },
  );
}
