import { describe, expect, it } from "vitest";
import { newMessageId } from "../engine/message-ids.js";
import { ShardedMap } from "./sharded-map.js";

describe("ShardedMap", () => {
  it("behaves as a map: set, get, has, delete, size, entries", () => {
    const map = new ShardedMap<number>();
    map.set("a", 1).set("b", 2).set("a", 3);
    expect(map.size).toBe(2);
    expect(map.get("a")).toBe(3);
    expect(map.has("b")).toBe(true);
    expect(map.get("c")).toBeUndefined();
    expect(map.delete("b")).toBe(true);
    expect(map.delete("b")).toBe(false);
    expect(map.size).toBe(1);
    expect([...map.entries()]).toEqual([["a", 3]]);
    map.set("", 0);
    expect(map.get("")).toBe(0);
  });

  it("spreads time-ordered ids and counters evenly, so no shard grows much past its share", () => {
    for (const makeKey of [
      () => newMessageId(),
      (i: number) => `m${i}`,
      (i: number) => `${i}-imported-from-elsewhere`,
    ]) {
      const map = new ShardedMap<number>();
      const n = 256 * 400;
      for (let i = 0; i < n; i++) map.set(makeKey(i), i);
      expect(map.size).toBe(n);
      const shards = (map as unknown as { shards: Map<string, number>[] }).shards;
      const largest = Math.max(...shards.map((shard) => shard.size));
      // 400 per shard on average: a hash that ignored the changing part would put them in one.
      expect(largest).toBeLessThan(600);
    }
  });
});
