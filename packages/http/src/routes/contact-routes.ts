import type { ContactRequest } from "@lucky-im/core";
import type { FastifyInstance } from "fastify";
import { httpError } from "../http-errors.js";
import { authenticateBeforeBody, type RouteContext } from "../route-context.js";
import {
  ContactRequestBody,
  ContactRequestsQuery,
  PeoplePageQuery,
  PrivacyBody,
  RemarkBody,
  UserParams,
} from "../schemas.js";

/** Page size of the people lists when the query names none. */
const DEFAULT_PAGE = 50;

/**
 * One page from a store list read with `limit + 1` entries: the extra one only says
 * whether more follow (`nextCursor` is then the last id of the page).
 */
async function pageOf<T>(
  query: PeoplePageQuery,
  read: (page: { after?: string; limit: number }) => Promise<T[]>,
  idOf: (item: T) => string,
): Promise<{ page: T[]; nextCursor: string | null }> {
  const limit = query.limit ?? DEFAULT_PAGE;
  const items = await read({ ...(query.cursor ? { after: query.cursor } : {}), limit: limit + 1 });
  const page = items.slice(0, limit);
  const last = page.at(-1);
  return { page, nextCursor: items.length > limit && last ? idOf(last) : null };
}

/** A request as the API shows it. */
function requestJson(request: ContactRequest) {
  return {
    fromId: request.fromId,
    toId: request.toId,
    message: request.message,
    createdAt: request.createdAt,
    expiresAt: request.expiresAt,
    state: request.state,
  };
}

/**
 * `/contacts/*`, `/blocks/*` and `/me/privacy`, all through the engine's contact API so
 * both users' devices get `contact` frames and every node's relation cache is dropped.
 */
export function registerContactRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { im, auth } = ctx;
  const beforeBody = authenticateBeforeBody(ctx);

  /** Refuses an id that is not a registered user (404). */
  const requireUser = async (userId: string) => {
    if (!(await auth.getUser(userId)))
      throw httpError("not_found", `user ${userId} does not exist`);
  };

  app.get<{ Querystring: PeoplePageQuery }>(
    "/contacts",
    { schema: { querystring: PeoplePageQuery } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      const { page, nextCursor } = await pageOf(
        request.query,
        (p) => im.contacts.list(userId, p),
        (c) => c.contactId,
      );
      const users = await Promise.all(page.map((c) => auth.getUser(c.contactId)));
      return {
        contacts: page.map((c, i) => ({
          userId: c.contactId,
          username: users[i]?.username ?? null,
          remark: c.remark,
          since: c.since,
        })),
        nextCursor,
      };
    },
  );

  app.delete<{ Params: UserParams }>(
    "/contacts/:userId",
    { schema: { params: UserParams } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      if (!(await im.contacts.remove(userId, request.params.userId))) {
        throw httpError("not_found", `${request.params.userId} is not your contact`);
      }
      return reply.status(204).send();
    },
  );

  app.put<{ Params: UserParams; Body: RemarkBody }>(
    "/contacts/:userId/remark",
    { schema: { params: UserParams, body: RemarkBody }, onRequest: beforeBody },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      const remark = request.body.remark?.trim() || null;
      await im.contacts.setRemark(userId, request.params.userId, remark);
      return reply.status(204).send();
    },
  );

  app.post<{ Body: ContactRequestBody }>(
    "/contacts/requests",
    { schema: { body: ContactRequestBody }, onRequest: beforeBody },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      if (request.body.userId === userId) throw httpError("bad_request", "you cannot ask yourself");
      await requireUser(request.body.userId);
      const result = await im.contacts.request(
        userId,
        request.body.userId,
        request.body.message ?? "",
      );
      return reply
        .status(result.outcome === "requested" ? 201 : 200)
        .send({ outcome: result.outcome, request: requestJson(result.request) });
    },
  );

  app.get<{ Querystring: ContactRequestsQuery }>(
    "/contacts/requests",
    { schema: { querystring: ContactRequestsQuery } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      const direction = request.query.direction ?? "incoming";
      const { page, nextCursor } = await pageOf(
        request.query,
        (p) => im.contacts.requests(userId, direction, p),
        (r) => (direction === "incoming" ? r.fromId : r.toId),
      );
      const others = await Promise.all(
        page.map((r) => auth.getUser(direction === "incoming" ? r.fromId : r.toId)),
      );
      return {
        requests: page.map((r, i) => ({
          ...requestJson(r),
          username: others[i]?.username ?? null,
        })),
        nextCursor,
      };
    },
  );

  app.post<{ Params: UserParams }>(
    "/contacts/requests/:userId/accept",
    { schema: { params: UserParams } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      return { request: requestJson(await im.contacts.accept(userId, request.params.userId)) };
    },
  );

  app.post<{ Params: UserParams }>(
    "/contacts/requests/:userId/decline",
    { schema: { params: UserParams } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      return { request: requestJson(await im.contacts.decline(userId, request.params.userId)) };
    },
  );

  app.delete<{ Params: UserParams }>(
    "/contacts/requests/:userId",
    { schema: { params: UserParams } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      await im.contacts.cancel(userId, request.params.userId);
      return reply.status(204).send();
    },
  );

  app.get<{ Querystring: PeoplePageQuery }>(
    "/blocks",
    { schema: { querystring: PeoplePageQuery } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      const { page, nextCursor } = await pageOf(
        request.query,
        (p) => im.contacts.blocks(userId, p),
        (b) => b.blockedId,
      );
      const users = await Promise.all(page.map((b) => auth.getUser(b.blockedId)));
      return {
        blocks: page.map((b, i) => ({
          userId: b.blockedId,
          username: users[i]?.username ?? null,
          since: b.since,
        })),
        nextCursor,
      };
    },
  );

  app.put<{ Params: UserParams }>(
    "/blocks/:userId",
    { schema: { params: UserParams } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      if (request.params.userId === userId)
        throw httpError("bad_request", "you cannot block yourself");
      await requireUser(request.params.userId);
      await im.contacts.block(userId, request.params.userId);
      return reply.status(204).send();
    },
  );

  app.delete<{ Params: UserParams }>(
    "/blocks/:userId",
    { schema: { params: UserParams } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      if (!(await im.contacts.unblock(userId, request.params.userId))) {
        throw httpError("not_found", `${request.params.userId} is not blocked`);
      }
      return reply.status(204).send();
    },
  );

  app.get("/me/privacy", async (request) => {
    const userId = await ctx.authenticate(request);
    return im.contacts.privacy(userId);
  });

  app.patch<{ Body: PrivacyBody }>(
    "/me/privacy",
    { schema: { body: PrivacyBody }, onRequest: beforeBody },
    async (request) => {
      const userId = await ctx.authenticate(request);
      return im.contacts.setPrivacy(userId, request.body);
    },
  );
}
