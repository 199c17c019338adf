import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../route-context.js";

/** `/healthz` (the process runs), `/readyz` (every dependency answers), `/metrics`. */
export function registerOpsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { im, metrics } = ctx;
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

  app.get("/metrics", quiet, async (_request, reply) => {
    const text = await metrics.render();
    return reply.type(metrics.contentType).send(text);
  });
}
