import { describe, expect, it } from "vitest";
import type { Presence } from "../contracts/presence.js";
import { createMemoryPresence } from "../memory/memory-presence.js";
import { NodesLookup } from "./nodes-lookup.js";

/** A memory presence that counts and records its nodesOf calls. */
async function countingPresence() {
  const presence = createMemoryPresence();
  const calls: string[][] = [];
  for (const [nodeId, users] of [
    ["n1", ["a", "b"]],
    ["n2", ["b", "c"]],
  ] as const) {
    await presence.heartbeat(nodeId);
    for (const userId of users) {
      await presence.register({
        sessionId: `${nodeId}-${userId}`,
        userId,
        nodeId,
        connectedAt: Date.now(),
      });
    }
  }
  let failNext = false;
  const counting: Presence = {
    ...presence,
    nodesOf: async (userIds) => {
      calls.push([...userIds]);
      if (failNext) throw new Error("redis down");
      return presence.nodesOf(userIds);
    },
  };
  return { presence: counting, calls, failNextCall: () => (failNext = true) };
}

const sorted = (map: Map<string, string[]>) =>
  Object.fromEntries([...map].map(([k, v]) => [k, [...v].sort()]).sort());

describe("NodesLookup", () => {
  it("answers the lookups of one turn with one call, each with its own users only", async () => {
    const { presence, calls } = await countingPresence();
    const lookup = new NodesLookup(presence, 1000);
    const [ab, c, d, again] = await Promise.all([
      lookup.nodesOf(["a", "b"]),
      lookup.nodesOf(["c"]),
      lookup.nodesOf(["d"]),
      lookup.nodesOf(["a", "a"]),
    ]);
    expect(calls).toHaveLength(1);
    expect(new Set(calls[0])).toEqual(new Set(["a", "b", "c", "d"]));
    expect(sorted(ab)).toEqual({ n1: ["a", "b"], n2: ["b"] });
    expect(sorted(c)).toEqual({ n2: ["c"] });
    expect(d.size).toBe(0);
    expect(sorted(again)).toEqual({ n1: ["a"] });
    // Matches what presence itself answers.
    expect(sorted(ab)).toEqual(sorted(await presence.nodesOf(["a", "b"])));
  });

  it("lookups of a later turn make a new call", async () => {
    const { presence, calls } = await countingPresence();
    const lookup = new NodesLookup(presence, 1000);
    await lookup.nodesOf(["a"]);
    await lookup.nodesOf(["c"]);
    expect(calls).toEqual([["a"], ["c"]]);
  });

  it("sends a batch at once when it reaches maxUsers", async () => {
    const { presence, calls } = await countingPresence();
    const lookup = new NodesLookup(presence, 3);
    const first = lookup.nodesOf(["a", "b"]);
    const second = lookup.nodesOf(["c"]); // 3 distinct users: flushed now
    expect(calls).toHaveLength(1);
    const third = lookup.nodesOf(["a"]);
    await Promise.all([first, second, third]);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toEqual(["a"]);
  });

  it("rejects every lookup of a failed batch", async () => {
    const { presence, failNextCall } = await countingPresence();
    const lookup = new NodesLookup(presence, 1000);
    failNextCall();
    const results = await Promise.allSettled([lookup.nodesOf(["a"]), lookup.nodesOf(["b"])]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  });
});
