import { describe, expect, it } from "vitest";
import { ConversationOrder } from "./conversation-order.js";

describe("ConversationOrder", () => {
  it("releases contiguous entries in seq order and drops duplicates", () => {
    const order = new ConversationOrder(0);
    expect(order.offer(2, null)).toBe(true);
    expect(order.drain()).toEqual([]);
    expect(order.waiting).toBe(true);
    expect(order.offer(2, null)).toBe(false);
    expect(order.offer(1, null)).toBe(true);
    expect(order.drain()).toHaveLength(2);
    expect(order.cursor).toBe(2);
    expect(order.offer(1, null)).toBe(false);
    expect(order.waiting).toBe(false);
  });

  it("does not release before it is anchored; anchoring drops what it covers", () => {
    const order = new ConversationOrder();
    order.offer(5, null);
    order.offer(7, null);
    expect(order.drain()).toEqual([]);
    expect(order.minBuffered()).toBe(5);
    order.anchorAt(5);
    expect(order.buffer.has(5)).toBe(false);
    expect(order.drain()).toEqual([]);
    order.offer(6, null);
    expect(order.drain()).toHaveLength(2);
    expect(order.cursor).toBe(7);
    order.anchorAt(3); // never moves back
    expect(order.cursor).toBe(7);
  });

  it("trims the highest buffered entries", () => {
    const order = new ConversationOrder(0);
    for (const seq of [10, 3, 7, 5]) order.offer(seq, null);
    expect(order.trim(2)).toBe(2);
    expect([...order.buffer.keys()].sort((a, b) => a - b)).toEqual([3, 5]);
  });
});
