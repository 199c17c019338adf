import type { Message } from "@lucky-im/core";
import { backoffDelay } from "@lucky-im/protocol";
import type { DeviceRegistry, PushDevice, PushPlatform } from "./contracts/device-registry.js";
import type { PushNotification, PushProvider, PushResult } from "./contracts/push-provider.js";
import {
  type NotificationBatch,
  type NotificationContent,
  notificationText,
} from "./notification-content.js";
import {
  type PushCounterName,
  type PushCounters,
  type PushMetricsListener,
  zeroCounters,
} from "./push-counters.js";

/** Options of {@link createPushNotifier}. */
export interface PushNotifierOptions {
  /** Where users' devices are found (and invalid tokens dropped). */
  registry: DeviceRegistry;
  /** One provider per platform; devices of a platform without one are counted `failed`. */
  providers: readonly PushProvider[];
  /**
   * Whether the user muted the conversation (the app's conversation settings).
   * A muted conversation gets no push unless a message mentions the user.
   */
  isMuted?: (userId: string, conversationId: string) => boolean | Promise<boolean>;
  /**
   * Whether a mention of the user (or `all`) pushes in a muted conversation.
   * @default true
   */
  mentionsOverrideMute?: boolean;
  /** What a notification shows. @default "hidden" */
  content?: NotificationContent;
  /**
   * How long a user's messages in one conversation are gathered into one
   * notification (with a count), in ms; the first message opens the window.
   * @default 2000
   */
  batchWindowMs?: number;
  /**
   * The most batches and sends waiting at once; beyond it new batches are
   * dropped (counted `dropped`), so a push outage never grows memory.
   * @default 10000
   */
  maxQueued?: number;
  /** Sends in flight at once. @default 8 */
  concurrency?: number;
  /** Attempts per device before a send is given up (counted `failed`). @default 5 */
  maxAttempts?: number;
  /** The first retry's delay ceiling, in ms (exponential backoff with jitter). @default 1000 */
  retryInitialDelayMs?: number;
  /** The largest retry delay, in ms. @default 60000 */
  retryMaxDelayMs?: number;
  /** How long a push service keeps a notification for an unreachable device, in s. @default 86400 */
  ttlSeconds?: number;
  /** Told of every counter increment. */
  metrics?: PushMetricsListener;
  /** Told of errors (a registry or `isMuted` failure, a provider that threw). */
  onError?: (error: unknown, context: string) => void;
}

/**
 * Turns messages for offline users into push notifications: pass
 * {@link PushNotifier.onOffline} as the engine's `onOffline` hook.
 */
export interface PushNotifier {
  /**
   * The engine hook: queues the message for each user and returns at once
   * (never waits for a push service).
   */
  onOffline(message: Message, userIds: string[]): Promise<void>;
  /** The counters so far (a live view). */
  readonly counters: Readonly<PushCounters>;
  /** Sends every open batch now instead of at the end of its window. */
  flush(): void;
  /** Resolves once nothing is batched, queued, in flight or waiting for a retry. */
  idle(): Promise<void>;
  /**
   * Stops taking messages, sends the open batches, waits for sends in flight;
   * retries still waiting are dropped.
   */
  close(): Promise<void>;
}

interface OpenBatch extends NotificationBatch {
  timer: ReturnType<typeof setTimeout>;
}

interface SendJob {
  notification: PushNotification;
  device: PushDevice;
  provider: PushProvider;
  attempt: number;
}

/** Creates a {@link PushNotifier}. */
export function createPushNotifier(options: PushNotifierOptions): PushNotifier {
  const {
    registry,
    isMuted,
    mentionsOverrideMute = true,
    content = "hidden",
    batchWindowMs = 2000,
    maxQueued = 10_000,
    concurrency = 8,
    maxAttempts = 5,
    retryInitialDelayMs = 1000,
    retryMaxDelayMs = 60_000,
    ttlSeconds = 86_400,
    metrics,
    onError = () => {},
  } = options;
  const providers = new Map<PushPlatform, PushProvider>();
  for (const provider of options.providers) providers.set(provider.platform, provider);

  const counters = zeroCounters();
  const count = (counter: PushCounterName, platform?: PushPlatform) => {
    counters[counter]++;
    metrics?.(counter, platform);
  };

  const open = new Map<string, OpenBatch>();
  const queue: SendJob[] = [];
  const waiting = new Set<ReturnType<typeof setTimeout>>();
  let preparing = 0;
  let active = 0;
  let closed = false;
  let idleWaiters: (() => void)[] = [];

  const backlog = () => open.size + preparing + queue.length + active + waiting.size;
  const settle = () => {
    if (backlog() > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const mentions = (message: Message, userId: string) =>
    message.mentions?.some((mention) => mention === userId || mention === "all") ?? false;

  const closeBatch = (key: string) => {
    const batch = open.get(key);
    if (batch === undefined) return;
    clearTimeout(batch.timer);
    open.delete(key);
    preparing++;
    prepare(batch)
      .catch((error: unknown) => {
        count("failed");
        onError(error, "push batch");
      })
      .finally(() => {
        preparing--;
        pump();
        settle();
      });
  };

  async function prepare(batch: NotificationBatch): Promise<void> {
    const { userId, conversationId } = batch;
    if (isMuted && !(batch.mentioned && mentionsOverrideMute)) {
      if (await isMuted(userId, conversationId)) {
        count("muted");
        return;
      }
    }
    const devices = await registry.listByUser(userId);
    if (devices.length === 0) return;
    const text = notificationText(content, batch);
    const notification: PushNotification = {
      ...text,
      conversationId,
      count: batch.count,
      collapseKey: conversationId,
      ttlSeconds,
      urgency: "high",
      data: {
        conversationId,
        messageId: batch.latest.messageId,
        seq: String(batch.latest.seq),
        count: String(batch.count),
      },
    };
    for (const device of devices) {
      const provider = providers.get(device.platform);
      if (provider === undefined) {
        count("failed", device.platform);
        continue;
      }
      queue.push({ notification, device, provider, attempt: 0 });
    }
  }

  const pump = () => {
    while (active < concurrency && queue.length > 0) {
      const job = queue.shift() as SendJob;
      active++;
      void run(job).finally(() => {
        active--;
        pump();
        settle();
      });
    }
  };

  async function run(job: SendJob): Promise<void> {
    const { device, provider } = job;
    let result: PushResult;
    try {
      result = await provider.send(job.notification, device);
    } catch (error) {
      onError(error, `push provider ${provider.platform}`);
      result = { status: "failure", retryable: true, reason: String(error) };
    }
    switch (result.status) {
      case "ok":
        count("sent", device.platform);
        return;
      case "invalid-token":
        count("invalidTokens", device.platform);
        await registry.dropToken(device.platform, device.token).catch((error: unknown) => {
          onError(error, "push registry dropToken");
        });
        return;
      case "retry-after":
      case "failure": {
        const retryable = result.status === "retry-after" || result.retryable;
        if (!retryable || closed || job.attempt + 1 >= maxAttempts) {
          count("failed", device.platform);
          return;
        }
        const backoff = backoffDelay(job.attempt, retryInitialDelayMs, retryMaxDelayMs);
        const delay =
          result.status === "retry-after"
            ? Math.min(Math.max(result.afterMs, backoff), retryMaxDelayMs)
            : backoff;
        count("retried", device.platform);
        const timer = setTimeout(() => {
          waiting.delete(timer);
          queue.push({ ...job, attempt: job.attempt + 1 });
          pump();
        }, delay);
        timer.unref?.();
        waiting.add(timer);
      }
    }
  }

  function flush(): void {
    for (const key of [...open.keys()]) closeBatch(key);
  }

  function idle(): Promise<void> {
    if (backlog() === 0) return Promise.resolve();
    return new Promise((resolve) => idleWaiters.push(resolve));
  }

  return {
    async onOffline(message, userIds) {
      for (const userId of userIds) {
        if (closed) {
          count("dropped");
          continue;
        }
        const key = `${userId}\u0000${message.conversationId}`;
        const batch = open.get(key);
        if (batch !== undefined) {
          batch.count++;
          batch.latest = message.seq >= batch.latest.seq ? message : batch.latest;
          batch.mentioned ||= mentions(message, userId);
          continue;
        }
        if (backlog() >= maxQueued) {
          count("dropped");
          continue;
        }
        const timer = setTimeout(() => closeBatch(key), batchWindowMs);
        timer.unref?.();
        open.set(key, {
          userId,
          conversationId: message.conversationId,
          count: 1,
          latest: message,
          mentioned: mentions(message, userId),
          timer,
        });
      }
    },
    counters,
    flush,
    idle,
    async close() {
      closed = true;
      flush();
      for (const timer of waiting) {
        clearTimeout(timer);
        count("dropped");
      }
      waiting.clear();
      settle();
      await idle();
    },
  };
}
