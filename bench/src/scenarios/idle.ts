/**
 * `idle`: N connections held; the server's RSS growth per connection. One
 * target at a time (a server holds at most ~19,000 sockets under the
 * 20,000 open-file limit).
 */
import { closePopulation, connectTarget, createPopulation } from "../population.js";
import { startTarget } from "../targets.js";
import { mintTokens } from "../tokens.js";
import type { ScenarioContext, ScenarioResult } from "./context.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runIdle(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { options } = ctx;
  const userIds = Array.from({ length: options.connections }, (_, i) => `u${i}`);
  const rows: (string | number | null | undefined)[][] = [
    [
      "target",
      "connected",
      "failed",
      "connect s",
      "rss before MB",
      "rss after MB",
      "KiB/conn",
      "cpu% held",
      "lag p99",
      "vs ws",
    ],
  ];
  const results: Record<
    string,
    {
      connected: number;
      kibPerConnection: number;
      rssBeforeMb: number;
      rssAfterMb: number;
      connectMs: number;
      cpuPercentHeld: number;
      loopLagP99Ms: number | null;
      errors: Record<string, number>;
    }
  > = {};
  for (const name of options.targets) {
    if (ctx.timeLeftMs() <= 0) break;
    const target = await startTarget(name, ctx.targetContext);
    const population = createPopulation(userIds, 1);
    try {
      await sleep(1000);
      const before = await target.server.sample();
      const tokens = target.needsTokens
        ? await mintTokens(userIds, ctx.targetContext.jwtSecret)
        : undefined;
      const connect = await connectTarget(population, target, tokens, undefined, {
        concurrency: options.concurrency,
        timeoutMs: options.connectTimeoutMs,
      });
      await target.server.loopLagP99Ms();
      const held = await target.server.sample();
      await sleep(options.holdMs);
      const after = await target.server.sample();
      const lag = await target.server.loopLagP99Ms();
      const kib =
        connect.connected > 0 ? (after.rssBytes - before.rssBytes) / 1024 / connect.connected : 0;
      results[name] = {
        connected: connect.connected,
        kibPerConnection: Math.round(kib * 10) / 10,
        rssBeforeMb: Math.round(before.rssBytes / 1048576),
        rssAfterMb: Math.round(after.rssBytes / 1048576),
        connectMs: Math.round(connect.ms),
        cpuPercentHeld: Math.round(
          ((after.cpuSeconds - held.cpuSeconds) / (options.holdMs / 1000)) * 100,
        ),
        loopLagP99Ms: lag === undefined ? null : Math.round(lag * 10) / 10,
        errors: connect.errors,
      };
      ctx.log(`idle ${name}: ${JSON.stringify(results[name])}`);
    } finally {
      await closePopulation(population);
      await target.server.stop();
      await target.cleanup();
    }
  }
  const ws = results.ws?.kibPerConnection;
  for (const [name, r] of Object.entries(results)) {
    rows.push([
      name,
      r.connected,
      options.connections - r.connected,
      (r.connectMs / 1000).toFixed(1),
      r.rssBeforeMb,
      r.rssAfterMb,
      r.kibPerConnection,
      r.cpuPercentHeld,
      r.loopLagP99Ms,
      name === "ws" || !ws ? "" : `${(r.kibPerConnection / ws).toFixed(2)}x`,
    ]);
  }
  return {
    steps: [],
    tables: [{ title: `idle: ${options.connections} connections held ${options.holdMs} ms`, rows }],
    data: { idle: results },
  };
}
