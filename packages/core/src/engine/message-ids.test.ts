import { validate, version } from "uuid";
import { describe, expect, it } from "vitest";
import { newMessageId } from "./message-ids.js";

describe("newMessageId", () => {
  it("makes valid, distinct UUIDv7s in creation order, carrying the current time", () => {
    const before = Date.now();
    const ids = Array.from({ length: 20_000 }, () => newMessageId());
    const after = Date.now();
    for (const id of ids.slice(0, 100)) {
      expect(validate(id), id).toBe(true);
      expect(version(id), id).toBe(7);
      expect("89ab", id).toContain(id[19]);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    const ms = (id: string) => Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16);
    expect(ms(ids[0]!)).toBeGreaterThanOrEqual(before);
    expect(ms(ids.at(-1)!)).toBeLessThanOrEqual(after + 1);
  });
});
