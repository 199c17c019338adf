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
});
