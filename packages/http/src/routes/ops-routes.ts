import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { httpError } from "../http-errors.js";
import type { ImMetrics } from "../metrics.js";
import type { RouteContext } from "../route-context.js";

/** `/healthz` (the process runs) and `/readyz` (every dependency answers). */
export function registerOpsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { im } = ctx;
  // Probes and scrapes are frequent: keep them out of the request log.
  const quiet = { logLevel: "warn" as const };

  app.get("/healthz", quiet, async () => ({ status: "ok", nodeId: im.nodeId }));

  app.get("/readyz", quiet, async (_request, reply) => {
    const health = await im.health();
    const ready = health.ok && !ctx.draining();
    return reply.status(ready ? 200 : 503).send({
      status: ready ? "ready" : "unavailable",
      nodeId: im.nodeId,
      storage: health.storage,
      broker: health.broker,
      presence: health.presence,
    });
  });
}

/**
 * `GET /metrics`, Prometheus text. With a token, only for `Authorization: Bearer <token>`
 * (401 otherwise): metrics reveal load, users online and error rates. Mount it on a separate
 * listener (a private port) with `app.register(...)` of a plain Fastify instance, or use
 * {@link imHttpPlugin}'s `metrics` route.
 */
export function registerMetricsRoute(
  app: FastifyInstance,
  metrics: Pick<ImMetrics, "render" | "contentType">,
  token: string | undefined,
): void {
  app.get("/metrics", { logLevel: "warn" }, async (request, reply) => {
    if (token !== undefined && !bearerMatches(request, token)) {
      throw httpError("unauthorized", "/metrics needs Authorization: Bearer <metrics token>");
    }
    const text = await metrics.render();
    return reply.type(metrics.contentType).send(text);
  });
}

/** Compares the bearer token in constant time. */
function bearerMatches(request: FastifyRequest, token: string): boolean {
  const header = request.headers.authorization;
  const given = typeof header === "string" ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
