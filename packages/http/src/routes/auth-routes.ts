import { addressLimitKey, isImError } from "@lucky-im/core";
import type { FastifyInstance } from "fastify";
import { httpError } from "../http-errors.js";
import type { AuthRouteContext } from "../route-context.js";
import {
  ChangePasswordBody,
  LoginBody,
  LogoutBody,
  RefreshBody,
  RegisterBody,
  UserParams,
} from "../schemas.js";

/** `/auth/*` and `/users/me`. */
export function registerAuthRoutes(app: FastifyInstance, ctx: AuthRouteContext): void {
  const { auth } = ctx;

  app.post<{ Body: RegisterBody }>(
    "/auth/register",
    { schema: { body: RegisterBody } },
    async (request, reply) => {
      // Each registration costs a deliberately slow password hash: bound them per address.
      const budget = await ctx.registerLimiter.consume(
        `http_register_ip:${addressLimitKey(request.ip)}`,
      );
      if (!budget.allowed) {
        reply.header("retry-after", Math.max(1, Math.ceil(budget.retryAfterMs / 1000)));
        throw httpError("rate_limited", "too many registrations from this address; retry later");
      }
      const { userId } = await auth.register(request.body.username, request.body.password, {
        ip: request.ip,
      });
      // User search finds people by username too: the profile keeps a copy of it.
      const user = await auth.getUser(userId);
      if (user) await ctx.im.profiles.update(userId, { username: user.username });
      return reply.status(201).send({ userId });
    },
  );

  app.post<{ Body: LoginBody }>("/auth/login", { schema: { body: LoginBody } }, async (request) => {
    const tokens = await auth.login(request.body, { ip: request.ip });
    // A suspended user may not log in (their WebSocket would be refused with 4403 anyway).
    const suspension = await ctx.im.admin.suspensionOf(tokens.userId);
    if (suspension) {
      await auth.logout({ refreshToken: tokens.refreshToken, userId: tokens.userId });
      throw httpError("forbidden", "this account is suspended");
    }
    return {
      userId: tokens.userId,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      expiresIn: tokens.expiresIn,
    };
  });

  app.post<{ Body: RefreshBody }>(
    "/auth/refresh",
    { schema: { body: RefreshBody } },
    async (request) => {
      const tokens = await auth.refresh(request.body.refreshToken);
      return {
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        expiresIn: tokens.expiresIn,
      };
    },
  );

  // Logs this device out: its refresh token (the credential of the session) is enough, so an
  // expired access token does not stand in the way. A valid bearer token limits it to the
  // caller's own tokens. Unknown tokens answer 204 too (nothing to tell an attacker).
  app.post<{ Body: LogoutBody }>(
    "/auth/logout",
    { schema: { body: LogoutBody } },
    async (request, reply) => {
      const userId = request.headers.authorization
        ? await ctx.authenticate(request).catch(() => undefined)
        : undefined;
      await auth.logout({
        refreshToken: request.body.refreshToken,
        ...(userId === undefined ? {} : { userId }),
      });
      return reply.status(204).send();
    },
  );

  app.post("/auth/logout-all", async (request, reply) => {
    const userId = await ctx.authenticate(request);
    await auth.logout({ userId });
    // Logged out everywhere: no device of the user is to be woken any more.
    await ctx.onLogoutAll?.(userId);
    return reply.status(204).send();
  });

  app.post<{ Body: ChangePasswordBody }>(
    "/auth/password",
    { schema: { body: ChangePasswordBody } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      const { currentPassword, newPassword } = request.body;
      const tokens = await auth
        .changePassword(userId, currentPassword, newPassword, { ip: request.ip })
        .catch((error: unknown) => {
          // The bearer token was fine: a 401 here would send clients to refresh and log in again.
          if (isImError(error) && error.code === "unauthorized") {
            throw httpError("forbidden", "the current password is wrong");
          }
          throw error;
        });
      return {
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        expiresIn: tokens.expiresIn,
      };
    },
  );

  app.get("/auth/public-key", async () => auth.publicJwk());

  app.get("/users/me", async (request) => {
    const userId = await ctx.authenticate(request);
    const user = await auth.getUser(userId);
    if (!user) throw httpError("unauthorized", "this user no longer exists");
    return { userId: user.userId, username: user.username };
  });

  // Additions to the protocol's table: the web page finds people to chat with by username
  // and shows names for ids. Both need a valid token, so the user list is not public.
  app.get<{ Params: UserParams }>(
    "/users/:userId",
    { schema: { params: UserParams } },
    async (request) => {
      await ctx.authenticate(request);
      const user = await auth.getUser(request.params.userId);
      if (!user) throw httpError("not_found", "no such user");
      return { userId: user.userId, username: user.username };
    },
  );

  app.get<{ Params: { username: string } }>("/users/by-name/:username", async (request) => {
    const userId = await ctx.authenticate(request);
    // Limited per user and per address: usernames must not be enumerable.
    const user = await auth.findUserByUsername(request.params.username, {
      userId,
      ip: request.ip,
    });
    if (!user) throw httpError("not_found", "no such user");
    return { userId: user.userId, username: user.username };
  });
}
