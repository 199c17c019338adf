import { afterEach, describe, expect, it, vi } from "vitest";
import { FramePacer } from "./frame-pacer.js";

describe("FramePacer", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("never sends more than maxPerSecond in any one-second window, in order", () => {
    vi.useFakeTimers();
    const out: { text: string; at: number }[] = [];
    const pacer = new FramePacer(3, (text) => out.push({ text, at: Date.now() }));
    for (let i = 0; i < 8; i++) pacer.write(`f${i}`);
    expect(out).toHaveLength(3);
    expect(pacer.queued).toBe(5);
    vi.advanceTimersByTime(5000);
    expect(out.map((o) => o.text)).toEqual(["f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7"]);
    for (let i = 0; i < out.length; i++) {
      const inWindow = out.filter((o) => o.at >= out[i]!.at && o.at < out[i]!.at + 1000);
      expect(inWindow.length).toBeLessThanOrEqual(3);
    }
  });

  it("clear() drops the queue; 0 disables pacing", () => {
    vi.useFakeTimers();
    const out: string[] = [];
    const pacer = new FramePacer(1, (text) => out.push(text));
    pacer.write("a");
    pacer.write("b");
    pacer.clear();
    vi.advanceTimersByTime(5000);
    expect(out).toEqual(["a"]);
    const free = new FramePacer(0, (text) => out.push(text));
    for (let i = 0; i < 100; i++) free.write("x");
    expect(out).toHaveLength(101);
  });

  it("offer() refuses a frame once maxQueued frames wait; write() never does", () => {
    vi.useFakeTimers();
    const out: string[] = [];
    const pacer = new FramePacer(2, (text) => out.push(text), 2);
    expect(pacer.offer("a")).toBe(true); // sent at once
    expect(pacer.offer("b")).toBe(true); // sent at once
    expect(pacer.offer("c")).toBe(true); // waits
    expect(pacer.offer("d")).toBe(true); // waits
    expect(pacer.offer("e")).toBe(false); // a third one would wait: refused
    expect(pacer.queued).toBe(2);
    pacer.write("own"); // the client's own frames still queue
    expect(pacer.queued).toBe(3);
    vi.advanceTimersByTime(5000);
    expect(out).toEqual(["a", "b", "c", "d", "own"]);
    expect(pacer.offer("f")).toBe(true);
    expect(out.at(-1)).toBe("f");
  });

  it("a bound of 0 still lets a frame through when it need not wait", () => {
    vi.useFakeTimers();
    const out: string[] = [];
    const pacer = new FramePacer(1, (text) => out.push(text), 0);
    expect(pacer.offer("a")).toBe(true);
    expect(pacer.offer("b")).toBe(false);
    vi.advanceTimersByTime(1001);
    expect(pacer.offer("c")).toBe(true);
    expect(out).toEqual(["a", "c"]);
  });

  it("a keyed frame replaces the waiting one of the same key, in its place", () => {
    vi.useFakeTimers();
    const out: string[] = [];
    const pacer = new FramePacer(1, (text) => out.push(text));
    pacer.write("first");
    pacer.write("ack 1", { key: "ack:c" });
    pacer.write("other");
    pacer.write("ack 2", { key: "ack:c" });
    pacer.write("ack 3", { key: "ack:c" });
    expect(pacer.queued).toBe(2);
    vi.advanceTimersByTime(5000);
    expect(out).toEqual(["first", "ack 3", "other"]);
    // Once sent, the key is free again: the next one queues anew.
    pacer.write("ack 4", { key: "ack:c" });
    vi.advanceTimersByTime(2000);
    expect(out.at(-1)).toBe("ack 4");
  });

  it("calls onSent when the frame leaves, not when it is queued", () => {
    vi.useFakeTimers();
    const sentAt: Record<string, number> = {};
    const start = Date.now();
    const pacer = new FramePacer(1, () => {});
    pacer.write("a", { onSent: () => (sentAt.a = Date.now() - start) });
    pacer.write("b", { onSent: () => (sentAt.b = Date.now() - start) });
    expect(sentAt).toEqual({ a: 0 });
    vi.advanceTimersByTime(2000);
    expect(sentAt.b).toBeGreaterThanOrEqual(1000);
  });
});
