import { afterAll, describe, expect, it } from "vitest";
import type { RateLimiter } from "../contracts/rate-limiter.js";
import { expectUnavailableAfterClose } from "./after-close.js";
import { eventually } from "./eventually.js";
import { uid } from "./fixtures.js";
import type { RateLimiterSuiteOptions } from "./suite-options.js";

/**
 * The conformance suite of the {@link RateLimiter} contract. Every rate
 * limiter adapter runs it against its real backend. Keys are unique per
 * test; the window test waits for a 1 s window to pass.
 *
 * @example
 * ```ts
 * rateLimiterConformance({
 *   name: "redis",
 *   create: async ({ points, durationMs }) => createRedisRateLimiter({ redis, points, durationMs, keyPrefix }),
 * });
 * ```
 */
export function rateLimiterConformance(options: RateLimiterSuiteOptions): void {
  describe(`${options.name} rate limiter conformance`, () => {
    const instances: RateLimiter[] = [];

    const open = async (budget: { points: number; durationMs: number }): Promise<RateLimiter> => {
      const instance = await options.create(budget);
      instances.push(instance);
      return instance;
    };

    afterAll(async () => {
      for (const instance of instances.splice(0)) await options.destroy?.(instance);
    });

    it("allows N points, then refuses with retryAfterMs > 0", async () => {
      const durationMs = 60_000;
      const limiter = await open({ points: 3, durationMs });
      const key = uid("key");
      for (const remaining of [2, 1, 0]) {
        expect(await limiter.consume(key), `a point while ${remaining + 1} are left`).toMatchObject(
          {
            allowed: true,
            remaining,
          },
        );
      }
      const refused = await limiter.consume(key);
      expect(refused.allowed, "the 4th point of a 3-point budget").toBe(false);
      expect(refused.remaining, "remaining once refused").toBe(0);
      expect(refused.retryAfterMs, "retryAfterMs once refused").toBeGreaterThan(0);
      expect(refused.retryAfterMs, "retryAfterMs is within the window").toBeLessThanOrEqual(
        durationMs + 1000,
      );
    });

    it("consume(key, points) takes several points at once", async () => {
      const limiter = await open({ points: 3, durationMs: 60_000 });
      const key = uid("key");
      expect(await limiter.consume(key, 2), "2 of 3 points").toMatchObject({
        allowed: true,
        remaining: 1,
      });
      expect((await limiter.consume(key, 2)).allowed, "2 more points with 1 left").toBe(false);
    });

    it("separate keys have separate budgets", async () => {
      const limiter = await open({ points: 2, durationMs: 60_000 });
      const [k1, k2] = [uid("key"), uid("key")];
      await limiter.consume(k1);
      await limiter.consume(k1);
      expect((await limiter.consume(k1)).allowed, "the first key over budget").toBe(false);
      expect(await limiter.consume(k2), "another key").toMatchObject({
        allowed: true,
        remaining: 1,
      });
    });

    it("close (optional) is idempotent; consume after close rejects with unavailable", async () => {
      const limiter = await open({ points: 2, durationMs: 60_000 });
      // A limiter without close opened nothing: there is nothing to check.
      if (!limiter.close) return;
      await Promise.all([limiter.close(), limiter.close()]);
      await expectUnavailableAfterClose({ consume: () => limiter.consume(uid("key")) });
    });

    it("allows again once the window passed", async () => {
      const limiter = await open({ points: 2, durationMs: 1000 });
      const key = uid("key");
      await limiter.consume(key);
      await limiter.consume(key);
      const refused = await limiter.consume(key);
      expect(refused.allowed, "over budget within the window").toBe(false);
      await new Promise((resolve) => setTimeout(resolve, refused.retryAfterMs));
      await eventually(
        async () =>
          expect((await limiter.consume(key)).allowed, "a point after the window").toBe(true),
        { timeoutMs: 15_000, intervalMs: 200, message: "the budget to refill after the window" },
      );
    });
  });
}
