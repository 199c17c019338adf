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

/** Who may use the dead-letter routes: the same check as the `/admin` routes of `@lucky-im/http`. */
export interface WebhookAdminCheck {
  /** The request's user id; 401 `unauthorized` without a valid access token. */
  authenticate(request: FastifyRequest): Promise<string>;
  /** Whether the user is an admin (the engine's `im.admin.isAdmin`); 403 `forbidden` otherwise. */
  isAdmin(userId: string): Promise<boolean>;
}

/**
 * `/admin/webhooks/*` (docs/integrations.md): an admin lists the dead letters and replays
 * them. Registered when webhooks are on; both routes need an admin's access token, as the
 * other `/admin` routes: 401 without a valid one, 403 for a user who is not an admin,
 * checked before the query or body is looked at. (The metrics token is for `/metrics` only.)
 */
export function registerWebhookRoutes(
  app: FastifyInstance,
  webhooks: WebhookDispatcher,
  admins: WebhookAdminCheck,
): void {
  app.register(async (scoped) => {
    scoped.addHook("onRequest", async (request) => {
      const userId = await admins.authenticate(request);
      if (!(await admins.isAdmin(userId))) throw httpError("forbidden", "admins only");
    });
    routes(scoped, webhooks);
  });
}

/** The routes themselves, in the scope whose hook admitted the admin. */
function routes(app: FastifyInstance, webhooks: WebhookDispatcher): void {
  app.get<{ Querystring: DeadLetterQuery }>(
    "/admin/webhooks/dead-letters",
    { schema: { querystring: DeadLetterQuery } },
    async (request) => {
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
      const replayed = await webhooks.replay([...new Set(request.body.ids)]);
      return { replayed };
    },
  );
}
