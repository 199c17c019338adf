/**
 * `reconnect`: N clients connected, each sends `--messages` to its partner
 * that the partner does not ack; then every socket drops at once and every
 * client reconnects and syncs. Measured: time from the drop until the last
 * `synced` (the baselines keep no history: their sync is an empty answer).
 */
import type { Route } from "../loadgen/messages.js";
import { closePopulation, connectTarget, createPopulation } from "../population.js";
import { sampleServices, servicesCpuSeconds } from "../services-cpu.js";
import { startTarget } from "../targets.js";
import { mintTokens } from "../tokens.js";
import type { ScenarioContext, ScenarioResult } from "./context.js";

interface ReconnectReply {
  failed: number;
  errors: Record<string, number>;
  synced: number;
  messages: number;
  allMs: number;
  p50Ms: number;
  p99Ms: number;
}

export async function runReconnect(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { options } = ctx;
  const n = options.connections - (options.connections % 2);
  const userIds = Array.from({ length: n }, (_, i) => `u${i}`);
  const rows: (string | number | null | undefined)[][] = [
    [
      "target",
      "clients",
      "synced",
      "failed",
      "messages synced",
      "p50 s",
      "p99 s",
      "all synced s",
      "server cpu s",
      "services cpu s",
      "vs ws",
    ],
  ];
  const results: Record<
    string,
    ReconnectReply & { cpuSeconds: number; servicesCpuSeconds: number }
  > = {};
  for (const name of options.targets) {
    if (ctx.timeLeftMs() <= 0) break;
    const target = await startTarget(name, ctx.targetContext);
    const population = createPopulation(userIds, 1);
    try {
      const tokens = target.needsTokens
        ? await mintTokens(userIds, ctx.targetContext.jwtSecret, 7200)
        : undefined;
      const connect = await connectTarget(population, target, tokens, undefined, {
        concurrency: options.concurrency,
        timeoutMs: options.connectTimeoutMs,
      });
      ctx.log(
        `reconnect ${name}: ${connect.connected}/${n} connected in ${Math.round(connect.ms)} ms`,
      );
      await Promise.all(
        population.workers.map((worker, w) => {
          const users = population.users[w] ?? [];
          const routes: Route[] = [];
          for (let i = 0; i + 1 < users.length; i += 2) {
            routes.push({
              from: users[i] as string,
              to: { type: "user", id: users[i + 1] as string },
              fanout: 1,
            });
            routes.push({
              from: users[i + 1] as string,
              to: { type: "user", id: users[i] as string },
              fanout: 1,
            });
          }
          return worker.call({
            cmd: "warm",
            target: name,
            routes,
            perRoute: options.messages,
            timeoutMs: 60_000,
          });
        }),
      );
      const before = await target.server.sample();
      const servicesBefore = await sampleServices();
      const replies = await Promise.all(
        population.workers.map((worker) =>
          worker.call<ReconnectReply>(
            { cmd: "reconnect", target: name, concurrency: n, timeoutMs: 60_000 },
            120_000,
          ),
        ),
      );
      const after = await target.server.sample();
      const servicesCpu = servicesCpuSeconds(servicesBefore, await sampleServices());
      const merged: ReconnectReply & { cpuSeconds: number; servicesCpuSeconds: number } = {
        failed: replies.reduce((s, r) => s + r.failed, 0),
        errors: Object.assign({}, ...replies.map((r) => r.errors)),
        synced: replies.reduce((s, r) => s + r.synced, 0),
        messages: replies.reduce((s, r) => s + r.messages, 0),
        allMs: Math.max(...replies.map((r) => r.allMs)),
        p50Ms: Math.max(...replies.map((r) => r.p50Ms)),
        p99Ms: Math.max(...replies.map((r) => r.p99Ms)),
        cpuSeconds: Math.round((after.cpuSeconds - before.cpuSeconds) * 100) / 100,
        servicesCpuSeconds: Math.round(servicesCpu * 100) / 100,
      };
      results[name] = merged;
      ctx.log(`reconnect ${name}: ${JSON.stringify(merged)}`);
    } finally {
      await closePopulation(population);
      await target.server.stop();
      await target.cleanup();
    }
  }
  const ws = results.ws?.allMs;
  for (const [name, r] of Object.entries(results)) {
    rows.push([
      name,
      n,
      r.synced,
      r.failed,
      r.messages,
      (r.p50Ms / 1000).toFixed(2),
      (r.p99Ms / 1000).toFixed(2),
      (r.allMs / 1000).toFixed(2),
      r.cpuSeconds,
      r.servicesCpuSeconds,
      name === "ws" || !ws ? "" : `${(r.allMs / ws).toFixed(2)}x`,
    ]);
  }
  return {
    steps: [],
    tables: [{ title: `reconnect: ${n} clients drop at once and sync`, rows }],
    data: { reconnect: results },
  };
}
