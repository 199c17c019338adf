import { toMessageFrame } from "@lucky-im/core";
import type { FastifyInstance } from "fastify";
import { httpError } from "../http-errors.js";
import type { RouteContext } from "../route-context.js";
import { SearchQuery } from "../schemas.js";

/**
 * `GET /search`: full-text search over the conversations the user is in now (docs/protocol.md
 * §13.5), newest first, paged by the last hit; limited per user (`searchLimitPerMinute`).
 */
export function registerSearchRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get<{ Querystring: SearchQuery }>(
    "/search",
    { schema: { querystring: SearchQuery } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      const budget = await ctx.searchLimiter.consume(`http_search_user:${userId}`);
      if (!budget.allowed) {
        reply.header("retry-after", Math.max(1, Math.ceil(budget.retryAfterMs / 1000)));
        throw httpError("rate_limited", "too many searches; retry later");
      }
      const { q, conversationId, from, type, before, after, cursorTs, cursorId, limit } =
        request.query;
      if ((cursorTs === undefined) !== (cursorId === undefined)) {
        throw httpError("bad_request", "cursorTs and cursorId go together");
      }
      const page = await ctx.im.search(userId, {
        text: q,
        ...(conversationId !== undefined ? { conversationId } : {}),
        ...(from !== undefined ? { from } : {}),
        ...(type !== undefined ? { type } : {}),
        ...(before !== undefined ? { before } : {}),
        ...(after !== undefined ? { after } : {}),
        ...(cursorTs !== undefined && cursorId !== undefined
          ? { cursor: { ts: cursorTs, messageId: cursorId } }
          : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
      return {
        messages: page.messages.map(toMessageFrame),
        next: page.next ? { cursorTs: page.next.ts, cursorId: page.next.messageId } : null,
      };
    },
  );
}
