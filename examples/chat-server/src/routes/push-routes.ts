import { httpError } from "@lucky-im/http";
import { InvalidRegistrationError, parseWebPushSubscription } from "@lucky-im/push";
import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../page-context.js";
import { PushDeviceBody, PushDeviceParams } from "../push-schemas.js";

/**
 * `/push/*`: a user registers the push token of each device (docs/protocol.md
 * §11), removes it, and reads the VAPID key browsers subscribe with.
 */
export function registerPushRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { push } = ctx;

  app.get("/push/vapid-public-key", async () => {
    if (push.vapidPublicKey === undefined) {
      throw httpError("not_found", "Web Push is not enabled on this server");
    }
    return { publicKey: push.vapidPublicKey };
  });

  app.post<{ Body: PushDeviceBody }>(
    "/push/devices",
    { schema: { body: PushDeviceBody } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      const { deviceId, platform, token } = request.body;
      if (!push.platforms.has(platform)) {
        throw httpError("bad_request", `push platform ${platform} is not enabled on this server`);
      }
      // Each registration is a write and may move a token: bound them per user.
      const budget = await ctx.pushDeviceLimiter.consume(`http_push_devices:${userId}`);
      if (!budget.allowed) {
        reply.header("retry-after", Math.max(1, Math.ceil(budget.retryAfterMs / 1000)));
        throw httpError("rate_limited", "too many push device registrations; retry later");
      }
      if (platform === "web") {
        try {
          parseWebPushSubscription(token, ctx.config.pushAllowHttpEndpoints);
        } catch (error) {
          throw httpError("bad_request", `token: ${(error as Error).message}`);
        }
      }
      try {
        const device = await push.registry.register({ userId, deviceId, platform, token });
        return reply.status(201).send({ deviceId, platform, registeredAt: device.registeredAt });
      } catch (error) {
        if (error instanceof InvalidRegistrationError)
          throw httpError("bad_request", error.message);
        throw error;
      }
    },
  );

  app.delete<{ Params: PushDeviceParams }>(
    "/push/devices/:deviceId",
    { schema: { params: PushDeviceParams } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      // Only the caller's own devices: another user's device id is simply not found.
      if (!(await push.registry.unregister(userId, request.params.deviceId))) {
        throw httpError("not_found", "no such push device");
      }
      return reply.status(204).send();
    },
  );
}
