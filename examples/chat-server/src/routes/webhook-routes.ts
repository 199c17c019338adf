import { timingSafeEqual } from "node:crypto";
import { httpError } from "@lucky-im/http";
import type { WebhookDispatcher } from "@lucky-im/webhooks";
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance, FastifyRequest } from "fastify";

/** The most dead letters one page lists, and the most ids one replay takes. */
export const MAX_DEAD_LETTER_PAGE = 200;

const DeliveryId = Type.String({ minLength: 1, maxLength: 1024 });

const DeadLetterQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_DEAD_LETTER_PAGE })),
    afterId: Type.Optional(DeliveryId),
  },
  { additionalProperties: false },
);
type DeadLetterQuery = Static<typeof DeadLetterQuery>;

const ReplayBody = Type.Object(
  { ids: Type.Array(DeliveryId, { minItems: 1, maxItems: MAX_DEAD_LETTER_PAGE }) },
  { additionalProperties: false },
);
type ReplayBody = Static<typeof ReplayBody>;

/**
 * `/admin/webhooks/*` (docs/integrations.md): an operator lists the dead letters and replays
 * them. Registered only when webhooks are on and `LUCKY_IM_METRICS_TOKEN` is set; both routes
 * need `Authorization: Bearer <LUCKY_IM_METRICS_TOKEN>` (401 otherwise).
 */
export function registerWebhookRoutes(
  app: FastifyInstance,
  webhooks: WebhookDispatcher,
  adminToken: string,
): void {
  const admit = (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const given = typeof header === "string" ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    const a = Buffer.from(given ?? "");
    const b = Buffer.from(adminToken);
    if (given === undefined || a.length !== b.length || !timingSafeEqual(a, b)) {
      throw httpError("unauthorized", "needs Authorization: Bearer <LUCKY_IM_METRICS_TOKEN>");
    }
  };

  app.get<{ Querystring: DeadLetterQuery }>(
    "/admin/webhooks/dead-letters",
    { schema: { querystring: DeadLetterQuery } },
    async (request) => {
      admit(request);
      const { limit = 50, afterId } = request.query;
      const letters = await webhooks.deadLetters({
        limit,
        ...(afterId !== undefined ? { afterId } : {}),
      });
      return {
        deadLetters: letters.map((d) => ({
          id: d.id,
          endpointId: d.endpointId,
          event: d.event,
          attempts: d.attempts,
          lastError: d.lastError ?? null,
          createdAt: d.createdAt,
          updatedAt: d.updatedAt,
        })),
        ...(letters.length === limit ? { nextAfterId: letters[letters.length - 1]!.id } : {}),
      };
    },
  );

  app.post<{ Body: ReplayBody }>(
    "/admin/webhooks/replay",
    { schema: { body: ReplayBody } },
    async (request) => {
      admit(request);
      const replayed = await webhooks.replay([...new Set(request.body.ids)]);
      return { replayed };
    },
  );
}
