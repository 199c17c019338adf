import type { AuthService } from "@lucky-im/auth";
import { type Principal, UserIdSchema } from "@lucky-im/core";
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { httpError } from "../http-errors.js";
import type { RouteContext } from "../route-context.js";

/** Longest reason or note the routes accept (the engine checks its own limit too). */
const Reason = Type.String({ maxLength: 500 });
const Id = Type.String({ minLength: 1, maxLength: 256 });
/** A page cursor: the last id of the previous page. */
const Before = Type.Integer({ minimum: 1 });
const Limit = Type.Integer({ minimum: 1, maximum: 200 });

const UserParams = Type.Object({ userId: UserIdSchema });
type UserParams = Static<typeof UserParams>;
const MessageParams = Type.Object({ messageId: Id });
type MessageParams = Static<typeof MessageParams>;
const MemberParams = Type.Object({ groupId: Id, userId: UserIdSchema });
type MemberParams = Static<typeof MemberParams>;
const ReportParams = Type.Object({ reportId: Type.Integer({ minimum: 1 }) });
type ReportParams = Static<typeof ReportParams>;

const SuspendBody = Type.Object(
  {
    kind: Type.Optional(Type.Union([Type.Literal("suspend"), Type.Literal("ban")])),
    reason: Type.Optional(Reason),
    durationMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 * 365 * 86_400_000 })),
  },
  { additionalProperties: false },
);
type SuspendBody = Static<typeof SuspendBody>;
const DeleteMessageBody = Type.Object(
  { reason: Type.Optional(Reason) },
  { additionalProperties: false },
);
type DeleteMessageBody = Static<typeof DeleteMessageBody>;
const ResolveBody = Type.Object(
  {
    status: Type.Union([Type.Literal("resolved"), Type.Literal("dismissed")]),
    note: Type.Optional(Reason),
  },
  { additionalProperties: false },
);
type ResolveBody = Static<typeof ResolveBody>;
const SuspensionsQuery = Type.Object({
  after: Type.Optional(UserIdSchema),
  limit: Type.Optional(Limit),
});
type SuspensionsQuery = Static<typeof SuspensionsQuery>;
const ReportsQuery = Type.Object({
  status: Type.Optional(
    Type.Union([Type.Literal("open"), Type.Literal("resolved"), Type.Literal("dismissed")]),
  ),
  before: Type.Optional(Before),
  limit: Type.Optional(Limit),
});
type ReportsQuery = Static<typeof ReportsQuery>;
const AuditQuery = Type.Object({
  before: Type.Optional(Before),
  limit: Type.Optional(Limit),
  actorId: Type.Optional(UserIdSchema),
  targetId: Type.Optional(Id),
});
type AuditQuery = Static<typeof AuditQuery>;

/**
 * `/admin/...`: suspensions and bans, forced logouts, message removal, group member removal,
 * stats, a user's sessions, reports and the audit log (`im.admin`). Admins are whom
 * `im.admin.isAdmin` says (the example: the user ids of `LUCKY_IM_ADMIN_USER_IDS`); anyone
 * else gets 403 `forbidden` on every route. The token is checked before the body is read;
 * unknown users are 404. A suspension also revokes the user's refresh tokens (with `auth`).
 */
export function registerAdminRoutes(
  app: FastifyInstance,
  ctx: RouteContext & { authService?: Pick<AuthService, "logout"> },
): void {
  const { im, auth } = ctx;

  /** The caller as a principal, refused with 403 unless an admin. */
  const admin = async (request: FastifyRequest): Promise<Principal> => {
    const userId = await ctx.authenticate(request);
    const principal: Principal = { userId, claims: {} };
    if (!(await im.admin.isAdmin(principal))) throw httpError("forbidden", "admins only");
    return principal;
  };
  /** A user the server knows (404 otherwise). */
  const knownUser = async (userId: string): Promise<string> => {
    if (!(await auth.getUser(userId))) throw httpError("not_found", "no such user");
    return userId;
  };

  // Every /admin route refuses a plain user before its body or params are looked at.
  app.register(async (scoped) => {
    scoped.addHook("onRequest", async (request) => {
      await admin(request);
    });

    scoped.get("/admin/me", async (request) => ({
      userId: (await admin(request)).userId,
      admin: true,
    }));

    scoped.get("/admin/stats", async (request) => im.admin.stats(await admin(request)));

    scoped.get<{ Params: UserParams }>(
      "/admin/users/:userId/sessions",
      { schema: { params: UserParams } },
      async (request) => {
        const by = await admin(request);
        const userId = await knownUser(request.params.userId);
        return { sessions: await im.admin.sessions(by, userId) };
      },
    );

    scoped.get<{ Querystring: SuspensionsQuery }>(
      "/admin/suspensions",
      { schema: { querystring: SuspensionsQuery } },
      async (request) => {
        const by = await admin(request);
        const { after, limit } = request.query;
        const suspensions = await im.admin.suspensions(by, {
          ...(after === undefined ? {} : { after }),
          limit: limit ?? 50,
        });
        return { suspensions };
      },
    );

    scoped.post<{ Params: UserParams; Body: SuspendBody }>(
      "/admin/users/:userId/suspension",
      { schema: { params: UserParams, body: SuspendBody } },
      async (request, reply) => {
        const by = await admin(request);
        const userId = await knownUser(request.params.userId);
        const suspension = await im.admin.suspend(by, userId, request.body ?? {});
        // Its refresh tokens too (with @lucky-im/auth): revoked for good, so lifting the
        // suspension later does not bring the sessions of before back.
        await ctx.authService?.logout({ userId });
        return reply.status(201).send(suspension);
      },
    );

    scoped.delete<{ Params: UserParams }>(
      "/admin/users/:userId/suspension",
      { schema: { params: UserParams } },
      async (request) => {
        const by = await admin(request);
        const userId = await knownUser(request.params.userId);
        return { lifted: await im.admin.unsuspend(by, userId) };
      },
    );

    scoped.post<{ Params: UserParams }>(
      "/admin/users/:userId/logout",
      { schema: { params: UserParams } },
      async (request, reply) => {
        const by = await admin(request);
        const userId = await knownUser(request.params.userId);
        await im.admin.forceLogout(by, userId);
        // Its refresh tokens too (with @lucky-im/auth): the user must log in again.
        await ctx.authService?.logout({ userId });
        return reply.status(204).send();
      },
    );

    scoped.post<{ Params: MessageParams; Body: DeleteMessageBody }>(
      "/admin/messages/:messageId/delete",
      { schema: { params: MessageParams, body: DeleteMessageBody } },
      async (request, reply) => {
        const by = await admin(request);
        await im.admin.deleteMessage(by, request.params.messageId, request.body?.reason);
        return reply.status(204).send();
      },
    );

    scoped.delete<{ Params: MemberParams }>(
      "/admin/groups/:groupId/members/:userId",
      { schema: { params: MemberParams } },
      async (request, reply) => {
        const by = await admin(request);
        await im.admin.removeMember(by, request.params.groupId, request.params.userId);
        return reply.status(204).send();
      },
    );

    scoped.get<{ Querystring: ReportsQuery }>(
      "/admin/reports",
      { schema: { querystring: ReportsQuery } },
      async (request) => {
        const by = await admin(request);
        const { status, before, limit } = request.query;
        const reports = await im.admin.reports(by, {
          ...(status === undefined ? {} : { status }),
          ...(before === undefined ? {} : { before }),
          limit: limit ?? 50,
        });
        return {
          reports,
          next: reports.length === (limit ?? 50) ? reports.at(-1)!.reportId : null,
        };
      },
    );

    scoped.post<{ Params: ReportParams; Body: ResolveBody }>(
      "/admin/reports/:reportId/resolve",
      { schema: { params: ReportParams, body: ResolveBody } },
      async (request) => {
        const by = await admin(request);
        const { status, note } = request.body;
        return im.admin.resolveReport(by, request.params.reportId, {
          status,
          ...(note === undefined ? {} : { note }),
        });
      },
    );

    scoped.get<{ Querystring: AuditQuery }>(
      "/admin/audit",
      { schema: { querystring: AuditQuery } },
      async (request) => {
        const by = await admin(request);
        const { before, limit, actorId, targetId } = request.query;
        const entries = await im.admin.audit(by, {
          ...(before === undefined ? {} : { before }),
          ...(actorId === undefined ? {} : { actorId }),
          ...(targetId === undefined ? {} : { targetId }),
          limit: limit ?? 50,
        });
        return {
          entries,
          next: entries.length === (limit ?? 50) ? entries.at(-1)!.entryId : null,
        };
      },
    );
  });
}
