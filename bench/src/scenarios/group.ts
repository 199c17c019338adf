/**
 * `group`: messages to groups of 10 (phase `group10`) and to one big group of
 * `--group-size` members, 500 by default (phase `group<size>`); rates are sends/s,
 * delivered counts every member's push.
 * Lucky IM targets need registered users for groups: the scenario registers
 * them over the HTTP API, creates the groups with the owner's token, and
 * connects with tokens minted for the assigned user ids.
 */
import type { Route } from "../loadgen/messages.js";
import type { Population } from "../population.js";
import type { RunningTarget } from "../targets.js";
import { mintTokens } from "../tokens.js";
import type { ScenarioContext, ScenarioResult } from "./context.js";
import { shuffle } from "./context.js";
import { runRateScenario } from "./rate-runner.js";

const SMALL = 10;
/** Most ids in one `POST /groups` or `POST /groups/:id/members` body of the example server. */
const IDS_PER_REQUEST = 1000;

async function post(url: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`[bench] POST ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function register(
  target: RunningTarget,
  keys: string[],
  runId: string,
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < keys.length) {
        const key = keys[next++] as string;
        const { userId } = await post(`${target.server.httpBase}/auth/register`, {
          username: `${key}_${runId.slice(-12)}`,
          password: "bench-password",
        });
        ids.set(key, userId as string);
      }
    }),
  );
  return ids;
}

export async function runGroup(ctx: ScenarioContext): Promise<ScenarioResult> {
  const BIG = ctx.options.groupSize;
  const bigPhase = `group${BIG}`;
  const withSmall = ctx.options.groupRates10.length > 0;
  const n = Math.max(BIG + SMALL, ctx.options.connections);
  const userIds = Array.from({ length: n }, (_, i) => `u${i}`);
  const prepare = async (target: RunningTarget, population: Population) => {
    const all = population.users.flat();
    const serverIds = target.needsTokens
      ? await register(target, all, ctx.targetContext.runId)
      : undefined;
    const idOf = (key: string) => serverIds?.get(key) ?? key;
    const tokens = target.needsTokens
      ? await mintTokens([...(serverIds?.values() ?? [])], ctx.targetContext.jwtSecret)
      : undefined;
    // The baselines take the owner from the bearer "token" (their user id).
    const createGroup = async (members: string[]) => {
      const owner = idOf(members[0] as string);
      const token = tokens?.get(owner) ?? owner;
      const others = members.slice(1).map(idOf);
      // The example server takes at most 1000 ids a request: the rest are added in batches.
      const first = target.needsTokens ? others.slice(0, IDS_PER_REQUEST - 1) : others;
      const { groupId } = await post(
        `${target.server.httpBase}/groups`,
        { name: `bench ${members.length}`, members: first },
        token,
      );
      for (let i = first.length; i < others.length; i += IDS_PER_REQUEST) {
        const res = await fetch(`${target.server.httpBase}/groups/${groupId}/members`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ userIds: others.slice(i, i + IDS_PER_REQUEST) }),
          signal: AbortSignal.timeout(30_000),
        });
        if (!res.ok) throw new Error(`[bench] adding members: ${res.status} ${await res.text()}`);
      }
      return groupId as string;
    };
    const group10: Route[][] = [];
    const bigRoutes: Route[][] = [];
    for (const [w, users] of population.users.entries()) {
      const list = shuffle([...users], 11 + w);
      const big = w === 0 ? list.splice(0, BIG) : [];
      const small: Route[] = [];
      for (let i = 0; withSmall && i + SMALL <= list.length; i += SMALL) {
        const members = list.slice(i, i + SMALL);
        const groupId = await createGroup(members);
        for (const from of members)
          small.push({ from, to: { type: "group", id: groupId }, fanout: SMALL - 1 });
      }
      group10.push(shuffle(small, 5 + w));
      if (big.length === BIG) {
        const groupId = await createGroup(big);
        bigRoutes.push(
          big.map((from) => ({ from, to: { type: "group", id: groupId }, fanout: BIG - 1 })),
        );
      } else bigRoutes.push([]);
    }
    return {
      ...(serverIds ? { serverIds } : {}),
      routes: { group10, [bigPhase]: bigRoutes },
    };
  };
  const steps = await runRateScenario(
    ctx,
    userIds,
    [
      { phase: "group10", rates: ctx.options.groupRates10 },
      { phase: bigPhase, rates: ctx.options.groupRates500 },
    ],
    prepare,
  );
  return { steps, tables: [], data: {} };
}
