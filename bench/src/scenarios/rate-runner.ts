/**
 * The open-loop rate scenarios (direct, group): every target runs at once,
 * each with its own clients; per offered rate the targets take turns
 * (alternating order), so a comparison is made in one run under the same
 * machine load. A target that cannot drain a step skips its higher rates.
 */

import { clusterAsTarget, startCluster } from "../cluster.js";
import type { Route } from "../loadgen/messages.js";
import {
  closePopulation,
  connectTarget,
  createPopulation,
  type Population,
  runStep,
  type StepResult,
} from "../population.js";
import { type RunningTarget, startTarget } from "../targets.js";
import { mintTokens } from "../tokens.js";
import type { ScenarioContext } from "./context.js";

export interface Prepared {
  /** Scenario key -> server user id. */
  serverIds?: Map<string, string>;
  /** Routes per worker, per phase. */
  routes: Record<string, Route[][]>;
}

export interface RatePhase {
  phase: string;
  rates: number[];
}

export async function runRateScenario(
  ctx: ScenarioContext,
  userIds: string[],
  phases: RatePhase[],
  prepare: (target: RunningTarget, population: Population) => Promise<Prepared>,
): Promise<StepResult[]> {
  const { options } = ctx;
  const population = createPopulation(userIds, options.targets.length);
  const running: { target: RunningTarget; prepared: Prepared }[] = [];
  const steps: StepResult[] = [];
  try {
    for (const name of options.targets) {
      // Only `full` nodes share state: other targets' nodes could not reach each other's users.
      const clustered = options.nodes > 1 && name === "full";
      if (options.nodes > 1 && !clustered) ctx.log(`${name}: one process (--nodes is for full)`);
      const target = clustered
        ? clusterAsTarget(await startCluster(name, ctx.targetContext, options.nodes))
        : await startTarget(name, ctx.targetContext);
      running.push({ target, prepared: { routes: {} } });
      const prepared = await prepare(target, population);
      (running.at(-1) as { prepared: Prepared }).prepared = prepared;
      const tokens = target.needsTokens
        ? await mintTokens(
            [...(prepared.serverIds?.values() ?? userIds)],
            ctx.targetContext.jwtSecret,
          )
        : undefined;
      const result = await connectTarget(population, target, tokens, prepared.serverIds, {
        concurrency: options.concurrency,
        timeoutMs: options.connectTimeoutMs,
      });
      ctx.log(
        `${name}: pid ${target.server.pid}, ${result.connected}/${userIds.length} connected in ${Math.round(result.ms)} ms` +
          (result.failed ? ` (failed: ${JSON.stringify(result.errors)})` : ""),
      );
    }
    if (options.warmupMs > 0) {
      // One unreported step per target and phase at the first rate: JIT, pools and caches warm up
      // the same way for every target, so the first measured step is not a cold start.
      for (const { phase, rates } of phases) {
        for (const { target, prepared } of running) {
          const routes = prepared.routes[phase];
          if (!routes || rates.length === 0) continue;
          const warm = await runStep(population, target, {
            phase,
            routes,
            rate: rates[0] as number,
            durationMs: options.warmupMs,
            drainMs: options.drainMs,
          });
          ctx.log(`${phase} ${target.name.padEnd(8)} warm-up: ${warm.delivered}/s delivered`);
        }
      }
    }
    const failedAt = new Map<string, string>();
    let turn = 0;
    for (const { phase, rates } of phases) {
      for (const rate of rates) {
        const order = running.map((_, i) => running[(i + turn) % running.length]!);
        turn++;
        for (const { target, prepared } of order) {
          if (failedAt.has(`${phase}/${target.name}`)) continue;
          if (ctx.timeLeftMs() <= 0) {
            ctx.log("--max-total-s reached: no more steps");
            return steps;
          }
          const routes = prepared.routes[phase];
          if (!routes) continue;
          const result = await runStep(population, target, {
            phase,
            routes,
            rate,
            durationMs: options.durationMs,
            drainMs: options.drainMs,
          });
          steps.push(result);
          ctx.log(
            `${phase} ${target.name.padEnd(8)} offered ${result.offered}/s delivered ${result.delivered}/s ` +
              `p99 ${result.sendToDelivered.p99} ms cpu ${result.cpuPercent}% ${result.cpuUsPerMessage} µs/msg ` +
              (result.kiloInstructionsPerMessage === undefined
                ? ""
                : `${result.kiloInstructionsPerMessage} kinstr/msg `) +
              `lag ${result.loopLagP99Ms} ms ${result.drained ? "drained" : "NOT drained"}`,
          );
          if (!result.drained) failedAt.set(`${phase}/${target.name}`, String(rate));
          // Let pushes and retries of an undrained step settle before the next target runs.
          await new Promise((resolve) => setTimeout(resolve, result.drained ? 300 : 3000));
        }
      }
    }
    return steps;
  } finally {
    await closePopulation(population);
    for (const { target } of running) {
      await target.server.stop();
      await target.cleanup();
    }
  }
}
