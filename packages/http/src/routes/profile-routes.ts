import type { ProfilePatch } from "@lucky-im/core";
import type { FastifyInstance } from "fastify";
import { fileUrl, isFileId } from "../file-ids.js";
import { httpError } from "../http-errors.js";
import type { RouteContext } from "../route-context.js";
import {
  ProfileBody,
  ProfilesQuery,
  UserIdSchemaPattern,
  UserParams,
  UserSearchQuery,
} from "../schemas.js";

/** Most ids one `GET /profiles` may name. */
const MAX_PROFILE_IDS = 100;

/**
 * `/profile` (mine), `/profiles?ids=` and `/users/:userId/profile` (others', last seen hidden
 * when they ask), `/users/search?q=` (prefix, searchable users only, rate limited per user).
 * Profile changes reach the user's conversation partners as `profile` frames (the engine).
 */
export function registerProfileRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { im, auth, files } = ctx;

  app.get("/profile", async (request) => {
    const userId = await ctx.authenticate(request);
    return im.profiles.mine(userId);
  });

  app.patch<{ Body: ProfileBody }>(
    "/profile",
    { schema: { body: ProfileBody } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      const { avatarFileId, ...rest } = request.body;
      const patch: ProfilePatch = { ...rest };
      if (avatarFileId === null) patch.avatar = null;
      if (typeof avatarFileId === "string") {
        // Only an image this user uploaded: the avatar is served to everyone who sees the profile.
        const found = files && isFileId(avatarFileId) ? await files.head(avatarFileId) : undefined;
        if (!found || found.ownerId !== userId)
          throw httpError("bad_request", "avatarFileId names no file you uploaded");
        if (!found.mime.startsWith("image/"))
          throw httpError("bad_request", "an avatar must be an image");
        patch.avatar = fileUrl(avatarFileId);
      }
      return im.profiles.update(userId, patch);
    },
  );

  app.get<{ Querystring: ProfilesQuery }>(
    "/profiles",
    { schema: { querystring: ProfilesQuery } },
    async (request) => {
      const viewer = await ctx.authenticate(request);
      const ids = [...new Set(request.query.ids.split(","))];
      if (ids.length > MAX_PROFILE_IDS)
        throw httpError("bad_request", `at most ${MAX_PROFILE_IDS} ids`);
      if (ids.some((id) => !new RegExp(UserIdSchemaPattern).test(id)))
        throw httpError("bad_request", "ids are comma-separated user ids");
      return im.profiles.getMany(viewer, ids);
    },
  );

  app.get<{ Params: UserParams }>(
    "/users/:userId/profile",
    { schema: { params: UserParams } },
    async (request) => {
      const viewer = await ctx.authenticate(request);
      const user = await auth.getUser(request.params.userId);
      if (!user) throw httpError("not_found", "no such user");
      const [profile] = await im.profiles.getMany(viewer, [user.userId]);
      return profile;
    },
  );

  app.get<{ Querystring: UserSearchQuery }>(
    "/users/search",
    { schema: { querystring: UserSearchQuery } },
    async (request) => {
      const viewer = await ctx.authenticate(request);
      const { q, after, limit } = request.query;
      const found = await im.profiles.search(viewer, q, {
        ...(after === undefined ? {} : { after }),
        limit: limit ?? 20,
      });
      return { users: found };
    },
  );
}
