import type { FastifyInstance } from "fastify";
import { httpError } from "../http-errors.js";
import { authenticateBeforeBody, type RouteContext } from "../route-context.js";
import {
  GroupParams,
  InviteBody,
  InviteLinkBody,
  InviteLinkParams,
  JoinRequestBody,
  JoinSettingsBody,
  TicketParams,
} from "../schemas.js";

/**
 * How non-members get into a group: join settings, join requests, invitations
 * and invite links. Every rule is the engine's (`im.groups`); these routes
 * only authenticate, check that named users exist, and shape the answers.
 */
export function registerGroupJoinRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { im, auth } = ctx;
  const beforeBody = authenticateBeforeBody(ctx);

  app.get<{ Params: GroupParams }>(
    "/groups/:id/join-settings",
    { schema: { params: GroupParams } },
    async (request) => {
      await ctx.authenticate(request);
      const settings = await im.groups.joinSettings(request.params.id);
      if (!settings) throw httpError("not_found", `group ${request.params.id} does not exist`);
      return settings;
    },
  );

  app.put<{ Params: GroupParams; Body: JoinSettingsBody }>(
    "/groups/:id/join-settings",
    { schema: { params: GroupParams, body: JoinSettingsBody }, onRequest: beforeBody },
    async (request) => {
      const userId = await ctx.authenticate(request);
      return im.groups.updateJoinSettings(request.params.id, userId, request.body);
    },
  );

  app.post<{ Params: GroupParams }>(
    "/groups/:id/join",
    { schema: { params: GroupParams } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      return im.groups.join(request.params.id, userId);
    },
  );

  app.post<{ Params: GroupParams; Body: JoinRequestBody }>(
    "/groups/:id/requests",
    { schema: { params: GroupParams, body: JoinRequestBody }, onRequest: beforeBody },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      const ticket = await im.groups.requestJoin(request.params.id, userId, request.body.message);
      return reply.status(201).send(ticket);
    },
  );

  app.get<{ Params: GroupParams }>(
    "/groups/:id/requests",
    { schema: { params: GroupParams } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      return { requests: await im.groups.listRequests(request.params.id, userId) };
    },
  );

  app.post<{ Params: TicketParams }>(
    "/join-requests/:id/approve",
    { schema: { params: TicketParams } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      return im.groups.approveRequest(request.params.id, userId);
    },
  );

  app.post<{ Params: TicketParams }>(
    "/join-requests/:id/decline",
    { schema: { params: TicketParams } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      await im.groups.declineRequest(request.params.id, userId);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: GroupParams; Body: InviteBody }>(
    "/groups/:id/invitations",
    { schema: { params: GroupParams, body: InviteBody }, onRequest: beforeBody },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      // A typo would invite a ghost: only registered users.
      if (!(await auth.getUser(request.body.userId))) {
        throw httpError("bad_request", `unknown user: ${request.body.userId}`);
      }
      const ticket = await im.groups.invite(
        request.params.id,
        userId,
        request.body.userId,
        request.body.message,
      );
      return reply.status(201).send(ticket);
    },
  );

  app.get("/invitations", async (request) => {
    const userId = await ctx.authenticate(request);
    return { invitations: await im.groups.listInvitations(userId) };
  });

  app.post<{ Params: TicketParams }>(
    "/invitations/:id/accept",
    { schema: { params: TicketParams } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      return im.groups.acceptInvitation(request.params.id, userId);
    },
  );

  app.post<{ Params: TicketParams }>(
    "/invitations/:id/decline",
    { schema: { params: TicketParams } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      await im.groups.declineInvitation(request.params.id, userId);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: GroupParams; Body: InviteLinkBody }>(
    "/groups/:id/invite-links",
    { schema: { params: GroupParams, body: InviteLinkBody }, onRequest: beforeBody },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      const { ttlSeconds, maxUses } = request.body;
      const link = await im.groups.createInviteLink(request.params.id, userId, {
        ...(ttlSeconds !== undefined && { ttlMs: ttlSeconds * 1000 }),
        ...(maxUses !== undefined && { maxUses }),
      });
      return reply.status(201).send(link);
    },
  );

  app.get<{ Params: GroupParams }>(
    "/groups/:id/invite-links",
    { schema: { params: GroupParams } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      return { links: await im.groups.listInviteLinks(request.params.id, userId) };
    },
  );

  app.delete<{ Params: InviteLinkParams }>(
    "/invite-links/:code",
    { schema: { params: InviteLinkParams } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      await im.groups.revokeInviteLink(request.params.code, userId);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: InviteLinkParams }>(
    "/invite-links/:code/join",
    { schema: { params: InviteLinkParams } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      return im.groups.joinByLink(request.params.code, userId);
    },
  );
}
