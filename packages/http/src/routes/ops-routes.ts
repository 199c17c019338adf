import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { httpError } from "../http-errors.js";
import type { ChatMetrics } from "../metrics.js";
import type { RouteContext } from "../route-context.js";

/**
 * `/healthz` (the process runs), `/readyz` (every dependency answers), and `/metrics` on
 * this listener when it is protected by `metricsToken` and not moved to `metricsPort`.
 */
export function registerOpsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { im, metrics, config } = ctx;
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

  if (config.metricsPort === undefined && config.metricsToken !== undefined) {
    registerMetricsRoute(app, metrics, config.metricsToken);
  }
}

/**
 * `GET /metrics`, Prometheus text. With a token, only for `Authorization: Bearer <token>`
 * (401 otherwise): metrics reveal load, users online and error rates.
 */
export function registerMetricsRoute(
  app: FastifyInstance,
  metrics: ChatMetrics,
  token: string | undefined,
): void {
  app.get("/metrics", { logLevel: "warn" }, async (request, reply) => {
    if (token !== undefined && !bearerMatches(request, token)) {
      throw httpError(
        "unauthorized",
        "/metrics needs Authorization: Bearer <LUCKY_IM_METRICS_TOKEN>",
      );
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
