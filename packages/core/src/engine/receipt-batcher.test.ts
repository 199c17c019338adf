import { afterEach, describe, expect, it, vi } from "vitest";
import type { ReceiptFrame, ReceiptsFrame } from "../protocol/schemas.js";
import { ReceiptBatcher } from "./receipt-batcher.js";
import type { Session } from "./session.js";
import { emptyStats } from "./stats.js";

/** A session stand-in that records what it was sent; `open: false` drops it as a closed one does. */
function fakeSession(open = true) {
  const sent: ReceiptsFrame[] = [];
  const session = {
    send(data: string) {
      if (open) sent.push(JSON.parse(data) as ReceiptsFrame);
      return open;
    },
  } as unknown as Session;
  return { session, sent };
}

const receipt = (
  userId: string,
  seq: number,
  kind: "delivered" | "read" = "delivered",
  conversationId = `d:alice:${userId}`,
): ReceiptFrame => ({ type: "receipt", conversationId, userId, seq, kind });

/** The batcher's clock is `performance.now()`: fake it with the timers. */
const FAKED = ["setTimeout", "clearTimeout", "Date", "performance"] as const;

/** The answer to a send of `seq` in the conversation (`sent-batch`). */
const answerIn = (conversationId: string) => (seq: number) => ({
  cid: `c${seq}`,
  messageId: `m${seq}`,
  conversationId,
  seq,
  ts: 1,
});

/** A batcher on fake timers starting at 0 (deadlines fall on ticks from there). */
function fakeTimedBatcher(sentHoldMs: number, maxPerFrame: number): ReceiptBatcher {
  vi.useFakeTimers({ now: 0, toFake: [...FAKED] });
  return new ReceiptBatcher({ windowMs: 20, sentHoldMs, maxPerFrame, stats: emptyStats() });
}

afterEach(() => {
  vi.useRealTimers();
});

describe("ReceiptBatcher", () => {
  it("sends one receipts frame per session when the window ends, keeping the highest seq per key", () => {
    vi.useFakeTimers({ now: 0, toFake: [...FAKED] });
    const stats = emptyStats();
    const batcher = new ReceiptBatcher({ windowMs: 20, sentHoldMs: 0, maxPerFrame: 100, stats });
    const a = fakeSession();
    const b = fakeSession();
    batcher.add(a.session, receipt("bob", 2));
    batcher.add(a.session, receipt("bob", 5));
    batcher.add(a.session, receipt("bob", 3));
    batcher.add(a.session, receipt("bob", 4, "read"));
    batcher.add(b.session, receipt("carol", 1));
    vi.advanceTimersByTime(19);
    expect(a.sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(a.sent).toEqual([
      {
        type: "receipts",
        receipts: [
          { conversationId: "d:alice:bob", userId: "bob", seq: 5, kind: "delivered" },
          { conversationId: "d:alice:bob", userId: "bob", seq: 4, kind: "read" },
        ],
      },
    ]);
    expect(b.sent).toHaveLength(1);
    expect(stats.framesOut).toBe(2);
    // Nothing waits any more: no second frame, and a new receipt starts a new window.
    vi.advanceTimersByTime(100);
    expect(a.sent).toHaveLength(1);
    batcher.add(a.session, receipt("bob", 6));
    vi.advanceTimersByTime(20);
    expect(a.sent[1]?.receipts).toEqual([
      { conversationId: "d:alice:bob", userId: "bob", seq: 6, kind: "delivered" },
    ]);
  });

  it("sends a session's batch at once when it reaches maxPerFrame", () => {
    vi.useFakeTimers({ now: 0, toFake: [...FAKED] });
    const batcher = new ReceiptBatcher({
      windowMs: 1_000,
      sentHoldMs: 0,
      maxPerFrame: 2,
      stats: emptyStats(),
    });
    const a = fakeSession();
    batcher.add(a.session, receipt("bob", 1));
    batcher.add(a.session, receipt("bob", 2));
    expect(a.sent).toEqual([]);
    batcher.add(a.session, receipt("carol", 1));
    expect(a.sent.map((f) => f.receipts.length)).toEqual([2]);
    batcher.add(a.session, receipt("dave", 1));
    vi.advanceTimersByTime(1_000);
    expect(a.sent.map((f) => f.receipts.map((r) => r.userId))).toEqual([
      ["bob", "carol"],
      ["dave"],
    ]);
  });

  it("counts nothing for a closed session and drops what waits on stop", () => {
    vi.useFakeTimers({ now: 0, toFake: [...FAKED] });
    const stats = emptyStats();
    const batcher = new ReceiptBatcher({ windowMs: 10, sentHoldMs: 0, maxPerFrame: 100, stats });
    const closed = fakeSession(false);
    const open = fakeSession();
    batcher.add(closed.session, receipt("bob", 1));
    vi.advanceTimersByTime(10);
    expect(stats.framesOut).toBe(0);
    batcher.add(open.session, receipt("bob", 1));
    batcher.stop();
    vi.advanceTimersByTime(10);
    expect(open.sent).toEqual([]);
  });

  it("holds a sent answer until a receipt covers its seq, or the hold ends", () => {
    const batcher = fakeTimedBatcher(100, 100);
    const a = fakeSession();
    const answer = answerIn("d:alice:bob");
    batcher.add(a.session, receipt("carol", 1));
    batcher.addSent(a.session, answer(5), true);
    expect(a.session.heldBy).toBe(batcher);
    // The carol receipt's window sends the answer with it: earlier is always allowed.
    vi.advanceTimersByTime(20);
    expect(a.sent.map((f) => [f.sent?.map((e) => e.cid), f.receipts.length])).toEqual([
      [["c5"], 1],
    ]);
    expect(a.session.heldBy).toBeUndefined();

    batcher.addSent(a.session, answer(6), true);
    batcher.add(a.session, receipt("bob", 5)); // covers seq 5 only: the answer for 6 waits
    vi.advanceTimersByTime(19);
    expect(a.sent).toHaveLength(1);
    batcher.add(a.session, receipt("bob", 6));
    expect(a.sent).toHaveLength(2);
    expect(a.sent[1]).toEqual({
      type: "receipts",
      sent: [answer(6)],
      receipts: [{ conversationId: "d:alice:bob", userId: "bob", seq: 6, kind: "delivered" }],
    });

    vi.advanceTimersByTime(1); // to a tick: deadlines fall on quarters of the window
    batcher.addSent(a.session, answer(7), true);
    vi.advanceTimersByTime(99);
    expect(a.sent).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(a.sent[2]).toEqual({ type: "receipts", sent: [answer(7)], receipts: [] });
  });

  it("an answer that awaits no receipt waits the window; answers count toward maxPerFrame", () => {
    const batcher = fakeTimedBatcher(1_000, 3);
    const a = fakeSession();
    const answer = answerIn("g:team");
    batcher.addSent(a.session, answer(1), false);
    vi.advanceTimersByTime(20);
    expect(a.sent.map((f) => f.sent?.length)).toEqual([1]);
    batcher.addSent(a.session, answer(2), true);
    batcher.addSent(a.session, answer(3), true);
    expect(a.sent).toHaveLength(1);
    batcher.add(a.session, receipt("bob", 1));
    expect(a.sent.map((f) => f.sent?.length ?? 0)).toEqual([1, 2]);
    // Releasing the session sends what waits, once.
    batcher.addSent(a.session, answer(4), true);
    batcher.release(a.session);
    batcher.release(a.session);
    expect(a.sent.map((f) => f.sent?.length ?? 0)).toEqual([1, 2, 1]);
    batcher.addSent(a.session, answer(5), true);
    batcher.stop();
    expect(a.session.heldBy).toBeUndefined();
  });

  it("keeps one entry per key in a large batch (indexed past a few entries)", () => {
    const batcher = fakeTimedBatcher(0, 100);
    const a = fakeSession();
    for (let i = 0; i < 12; i++) batcher.add(a.session, receipt(`u${i}`, 1));
    for (let i = 0; i < 12; i++) batcher.add(a.session, receipt(`u${i}`, 2 + i));
    batcher.add(a.session, receipt("u3", 1)); // lower: dropped
    vi.advanceTimersByTime(20);
    expect(a.sent).toHaveLength(1);
    expect(a.sent[0]?.receipts.map((r) => [r.userId, r.seq])).toEqual(
      Array.from({ length: 12 }, (_, i) => [`u${i}`, 2 + i]),
    );
  });
});
