import { afterEach, describe, expect, it, vi } from "vitest";
import { HeartbeatWheel } from "./heartbeat-wheel.js";

/** A connection that counts its pings. */
function target() {
  return {
    pings: 0,
    heartbeat() {
      this.pings++;
    },
  };
}

describe("HeartbeatWheel", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("pings every connection once per interval, a slice at a time", () => {
    vi.useFakeTimers();
    const wheel = new HeartbeatWheel<ReturnType<typeof target>>(1000);
    const targets = Array.from({ length: 1000 }, target);
    for (const t of targets) wheel.add(t);
    wheel.start();
    // 10 slots of 100 ms: each tick pings a tenth, never all at once.
    vi.advanceTimersByTime(100);
    expect(targets.filter((t) => t.pings === 1)).toHaveLength(100);
    vi.advanceTimersByTime(900);
    expect(targets.every((t) => t.pings === 1)).toBe(true);
    vi.advanceTimersByTime(1000);
    expect(targets.every((t) => t.pings === 2)).toBe(true);
    wheel.stop();
    vi.advanceTimersByTime(5000);
    expect(targets.every((t) => t.pings === 2)).toBe(true);
  });

  it("stops pinging a removed connection, also one removed while its slot is pinged", () => {
    vi.useFakeTimers();
    const wheel = new HeartbeatWheel<ReturnType<typeof target>>(200);
    const gone = target();
    const dropsOther = {
      pings: 0,
      heartbeat() {
        this.pings++;
        wheel.delete(gone); // a ping that fails closes a connection of the same slot
      },
    };
    const kept = target();
    wheel.add(dropsOther);
    wheel.add(kept);
    wheel.add(gone); // slot 0 again, after dropsOther
    wheel.start();
    vi.advanceTimersByTime(1000);
    expect(gone.pings).toBe(0);
    expect(dropsOther.pings).toBe(5);
    expect(kept.pings).toBe(5);
  });

  it("keeps to its schedule when a slice fires late, without pinging anyone twice in one turn", () => {
    vi.useFakeTimers();
    // The wheel's clock runs ahead of the timers while the event loop is "stalled".
    let stalled = 0;
    const wheel = new HeartbeatWheel<ReturnType<typeof target>>(
      1000,
      () => performance.now() + stalled,
    );
    const targets = Array.from({ length: 100 }, target);
    for (const t of targets) wheel.add(t);
    wheel.start();
    vi.advanceTimersByTime(250);
    expect(targets.filter((t) => t.pings === 1)).toHaveLength(20);
    // A 420 ms stall: the slices due meanwhile go out together at the next firing.
    stalled = 420;
    vi.advanceTimersByTime(50);
    expect(targets.filter((t) => t.pings === 1)).toHaveLength(70);
    vi.advanceTimersByTime(300);
    expect(targets.every((t) => t.pings === 1)).toBe(true);
    // A stall of several turns pings each connection once, then the schedule goes on from there.
    stalled += 5000;
    vi.advanceTimersByTime(100);
    expect(targets.every((t) => t.pings === 2)).toBe(true);
    vi.advanceTimersByTime(1000);
    expect(targets.every((t) => t.pings === 3)).toBe(true);
    wheel.stop();
  });

  it("takes any interval: at most 256 slots, an endless one never fires", () => {
    vi.useFakeTimers();
    const long = new HeartbeatWheel<ReturnType<typeof target>>(86_400_000);
    expect((long as unknown as { slots: unknown[] }).slots).toHaveLength(256);
    const endless = new HeartbeatWheel<ReturnType<typeof target>>(Number.POSITIVE_INFINITY);
    const t = target();
    endless.add(t);
    endless.start();
    vi.advanceTimersByTime(60_000);
    expect(t.pings).toBe(0);
    endless.stop();
  });

  it("with an interval under one slice, pings everyone each interval", () => {
    vi.useFakeTimers();
    const wheel = new HeartbeatWheel<ReturnType<typeof target>>(50);
    const a = target();
    const b = target();
    wheel.add(a);
    wheel.add(b);
    wheel.start();
    vi.advanceTimersByTime(50);
    expect([a.pings, b.pings]).toEqual([1, 1]);
  });
});
