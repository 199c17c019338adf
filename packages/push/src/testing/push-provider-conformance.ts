import { describe, expect, it } from "vitest";
import type { PushDevice } from "../contracts/device-registry.js";
import type { PushNotification, PushProvider } from "../contracts/push-provider.js";

/** What a provider's conformance run needs: the provider and its service's stand-in. */
export interface PushProviderHarness {
  /** The provider under test, pointed at the stand-in. */
  provider: PushProvider;
  /**
   * A device the stand-in answers for: `accept` takes pushes, `invalid` is
   * unregistered (404/410), `throttled` is refused once with 429 and a
   * `Retry-After` of 0, then accepted.
   */
  device(kind: "accept" | "invalid" | "throttled"): PushDevice;
  /** How many pushes the stand-in accepted for the device with this token. */
  delivered(token: string): number;
  /** Malformed requests the stand-in refused (must stay empty). */
  rejected(): readonly string[];
  /** Stops the stand-in. */
  close(): Promise<void>;
}

/** Options of {@link pushProviderConformance}. */
export interface PushProviderConformanceOptions {
  /** Names the provider in the test titles. */
  name: string;
  /** Starts a fresh harness (one per test). */
  create: () => Promise<PushProviderHarness>;
}

/** A notification for conformance runs. */
export const SAMPLE_NOTIFICATION: PushNotification = {
  title: "New message",
  body: "",
  conversationId: "d:alice:bob",
  count: 1,
  collapseKey: "d:alice:bob",
  ttlSeconds: 3600,
  urgency: "high",
  data: { conversationId: "d:alice:bob", messageId: "m1", seq: "1", count: "1" },
};

/**
 * The vitest suite a {@link PushProvider} passes against its service's stand-in:
 * an accepted push is `ok` and arrives once, an unregistered device is
 * `invalid-token`, a throttle is `retry-after`, and no request is malformed.
 */
export function pushProviderConformance(options: PushProviderConformanceOptions): void {
  describe(`PushProvider conformance: ${options.name}`, () => {
    const withHarness = (test: (harness: PushProviderHarness) => Promise<void>) => async () => {
      const harness = await options.create();
      try {
        await test(harness);
        expect(harness.rejected()).toEqual([]);
      } finally {
        await harness.close();
      }
    };

    it(
      "delivers an accepted push once",
      withHarness(async (harness) => {
        const device = harness.device("accept");
        expect(await harness.provider.send(SAMPLE_NOTIFICATION, device)).toEqual({ status: "ok" });
        expect(harness.delivered(device.token)).toBe(1);
      }),
    );

    it(
      "reports an unregistered device as invalid-token",
      withHarness(async (harness) => {
        const device = harness.device("invalid");
        const result = await harness.provider.send(SAMPLE_NOTIFICATION, device);
        expect(result.status).toBe("invalid-token");
        expect(harness.delivered(device.token)).toBe(0);
      }),
    );

    it(
      "reports a throttle as retry-after, then delivers",
      withHarness(async (harness) => {
        const device = harness.device("throttled");
        const first = await harness.provider.send(SAMPLE_NOTIFICATION, device);
        expect(first).toMatchObject({ status: "retry-after", afterMs: 0 });
        expect(await harness.provider.send(SAMPLE_NOTIFICATION, device)).toEqual({ status: "ok" });
        expect(harness.delivered(device.token)).toBe(1);
      }),
    );
  });
}
