/** `direct`: 1:1 messages between random pairs of users, at offered rates in steps. */
import type { Route } from "../loadgen/messages.js";
import type { ScenarioContext, ScenarioResult } from "./context.js";
import { shuffle } from "./context.js";
import { runRateScenario } from "./rate-runner.js";

export async function runDirect(ctx: ScenarioContext): Promise<ScenarioResult> {
  const n = ctx.options.connections - (ctx.options.connections % 2);
  const userIds = Array.from({ length: n }, (_, i) => `u${i}`);
  const steps = await runRateScenario(
    ctx,
    userIds,
    [{ phase: "direct", rates: ctx.options.rates }],
    async (_target, population) => {
      // Pairs are formed inside each worker: sender and recipient share one clock.
      const routes = population.users.map((users, w) => {
        const shuffled = shuffle([...users], 42 + w);
        const list: Route[] = [];
        for (let i = 0; i + 1 < shuffled.length; i += 2) {
          const a = shuffled[i] as string;
          const b = shuffled[i + 1] as string;
          list.push(
            { from: a, to: { type: "user", id: b }, fanout: 1 },
            { from: b, to: { type: "user", id: a }, fanout: 1 },
          );
        }
        return shuffle(list, 7 + w);
      });
      return { routes: { direct: routes } };
    },
  );
  return { steps, tables: [], data: {} };
}
