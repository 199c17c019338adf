import { defaultConversationSettings, toMessageFrame } from "@lucky-im/core";
import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../route-context.js";
import {
  ConversationParams,
  ConversationSettingsBody,
  ConversationsQuery,
  HistoryQuery,
} from "../schemas.js";

/**
 * `/conversations` (pinned first, then newest activity; paged with `limit` and `offset`; with
 * the user's settings), their history in the protocol's `message` frame shape, and
 * `PUT /conversations/:id/settings` (pin, mute, archive, mark unread; the user's other
 * devices get a `conversation_settings` frame).
 */
export function registerConversationRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { im } = ctx;

  app.get<{ Querystring: ConversationsQuery }>(
    "/conversations",
    { schema: { querystring: ConversationsQuery } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      const { limit, offset } = request.query;
      // Bounded even when the client names no limit: a user may be in many conversations.
      const summaries = await im.conversations(userId, {
        limit: limit ?? 200,
        offset: offset ?? 0,
      });
      return summaries.map((s) => ({
        conversationId: s.conversationId,
        lastSeq: s.lastSeq,
        readSeq: s.readSeq,
        unread: s.unread,
        // The others' cursors: a new device shows read marks without having seen the receipts.
        peerReadSeq: s.peerReadSeq ?? 0,
        peerDeliveredSeq: s.peerDeliveredSeq ?? 0,
        // Messages after the read cursor that mention the user (docs/protocol.md §13.5).
        mentions: s.mentions ?? 0,
        lastMessage: s.lastMessage ? toMessageFrame(s.lastMessage) : null,
        settings: s.settings ?? defaultConversationSettings(s.conversationId),
      }));
    },
  );

  app.get<{ Params: ConversationParams; Querystring: HistoryQuery }>(
    "/conversations/:id/messages",
    { schema: { params: ConversationParams, querystring: HistoryQuery } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      const { beforeSeq, limit } = request.query;
      const page = await im.history(userId, request.params.id, {
        ...(beforeSeq === undefined ? {} : { beforeSeq }),
        ...(limit === undefined ? {} : { limit }),
      });
      // Current state (edited bodies with editedAt, reply refs) and reactions with `mine`.
      return {
        messages: page.messages.map(toMessageFrame),
        more: page.more,
        reactions: page.reactions,
      };
    },
  );

  app.put<{ Params: ConversationParams; Body: ConversationSettingsBody }>(
    "/conversations/:id/settings",
    { schema: { params: ConversationParams, body: ConversationSettingsBody } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      return im.conversationSettings.update(userId, request.params.id, request.body);
    },
  );
}

/** `GET /conversations/:id/pins`: the conversation's pinned messages, newest pin first. */
export function registerPinRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get<{ Params: ConversationParams }>(
    "/conversations/:id/pins",
    { schema: { params: ConversationParams } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      return { pins: await ctx.im.pins(userId, request.params.id) };
    },
  );
}
