import type { PushPlatform } from "./contracts/device-registry.js";

/** What the notifier has done, since it was created. */
export interface PushCounters {
  /** Notifications accepted by a push service (one per device). */
  sent: number;
  /** Sends given up: refused, out of attempts, no provider for the platform, or a registry error on the last attempt. */
  failed: number;
  /** Messages not queued: the (bounded) queue was full, it failed, or the notifier was closed. */
  dropped: number;
  /** Tokens a provider reported invalid (their devices were removed). */
  invalidTokens: number;
  /** Sends retried after a throttle or a transient failure. */
  retried: number;
  /** Jobs given up after their last attempt (kept in the queue as dead). */
  dead: number;
  /** Batches not sent because the conversation is muted (and nobody was mentioned). */
  muted: number;
  /** Batches not sent because their only message was recalled meanwhile (with `getMessage`). */
  recalled: number;
}

/** A name of a {@link PushCounters} counter. */
export type PushCounterName = keyof PushCounters;

/**
 * Told of every counter increment, for an app's own metrics (a Prometheus
 * counter with a `platform` label, for example). `platform` is absent for
 * events before a device is known (a dropped or muted batch).
 */
export type PushMetricsListener = (counter: PushCounterName, platform?: PushPlatform) => void;

/** @internal Fresh counters, all zero. */
export function zeroCounters(): PushCounters {
  return {
    sent: 0,
    failed: 0,
    dropped: 0,
    invalidTokens: 0,
    retried: 0,
    dead: 0,
    muted: 0,
    recalled: 0,
  };
}
