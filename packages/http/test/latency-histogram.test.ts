import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { LatencyHistogram } from "../src/latency-histogram.js";

const BOUNDS = [0.001, 0.01, 0.1, 1];

describe("LatencyHistogram", () => {
  it("renders exactly what prom-client's Histogram renders for the same observations", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const fast = new LatencyHistogram("x_seconds", "help text", BOUNDS, ours);
    const reference = new Histogram({
      name: "x_seconds",
      help: "help text",
      buckets: BOUNDS,
      registers: [theirs],
    });
    // Values on the bounds too: a bound belongs to its own bucket (le = less or equal).
    for (const value of [0, 0.0005, 0.001, 0.0011, 0.01, 0.05, 0.1, 0.99, 1, 2, 250]) {
      fast.observe(value);
      reference.observe(value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
  });

  it("ignores values that are not finite and starts over on reset", async () => {
    const registry = new Registry();
    const histogram = new LatencyHistogram("y_seconds", "h", BOUNDS, registry);
    histogram.observe(Number.NaN);
    histogram.observe(Number.POSITIVE_INFINITY);
    histogram.observe(0.5);
    expect(await registry.metrics()).toContain("y_seconds_count 1");
    registry.resetMetrics();
    expect(await registry.metrics()).toContain("y_seconds_count 0");
    expect(() => new LatencyHistogram("y_seconds", "h", BOUNDS, registry)).toThrow(/already/);
  });
});
