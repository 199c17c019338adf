import {
  type BackgroundErrorHandler,
  checkOption,
  type Message,
  reportBackgroundError,
} from "@lucky-im/core";
import { backoffDelay } from "@lucky-im/protocol";
import type { DeviceRegistry, PushDevice, PushPlatform } from "./contracts/device-registry.js";
import type { PushNotification, PushProvider, PushResult } from "./contracts/push-provider.js";
import type { ClaimedPushJob, PushQueue, PushQueueStats } from "./contracts/push-queue.js";
import { createMemoryPushQueue } from "./memory/memory-push-queue.js";
import { type NotificationContent, notificationText } from "./notification-content.js";
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
   * Where notification jobs wait: `createPostgresPushQueue` or `createSqlitePushQueue`
   * so a crash or restart loses none (another node, or the next start, sends them).
   * @default an in-memory queue of `maxQueued` jobs (lost on a crash)
   */
  queue?: PushQueue;
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
   * The most jobs the default in-memory queue holds; beyond it new batches are
   * dropped (counted `dropped`), so a push outage never grows memory. Ignored
   * with a `queue` of your own.
   * @default 10000
   */
  maxQueued?: number;
  /** Jobs (one user, one conversation, all their devices) in flight at once. @default 8 */
  concurrency?: number;
  /**
   * Attempts per job before it is given up (counted `dead`, its devices `failed`);
   * a claim by a worker that crashed counts as an attempt.
   * @default 5
   */
  maxAttempts?: number;
  /** The first retry's delay ceiling, in ms (exponential backoff with jitter). @default 1000 */
  retryInitialDelayMs?: number;
  /** The largest retry delay, in ms. @default 60000 */
  retryMaxDelayMs?: number;
  /**
   * How long a claimed job is this worker's, in ms; a worker that has not settled
   * it by then (it crashed) leaves it to another. Keep it above the providers' timeouts.
   * @default 60000
   */
  leaseMs?: number;
  /**
   * How often the queue is polled for due jobs, in ms: jobs other nodes queued,
   * and jobs of a crashed worker once their lease ended. Jobs this notifier
   * queued or retries are also claimed when due, without waiting for the poll.
   * @default 1000
   */
  pollIntervalMs?: number;
  /** How long a push service keeps a notification for an unreachable device, in s. @default 86400 */
  ttlSeconds?: number;
  /**
   * How long dead jobs (given up after their last attempt) are kept for inspection, in ms;
   * older ones are deleted every `purgeIntervalMs`.
   * @default 604800000 (7 days)
   */
  deadRetentionMs?: number;
  /** How often dead jobs older than `deadRetentionMs` are deleted, in ms. @default 3600000 (1 hour) */
  purgeIntervalMs?: number;
  /**
   * Looks a message up (pass the engine storage's `messages.get`): checked when a batch is
   * sent, so that a message recalled during the batch window is not shown. A batch whose
   * only message was recalled is not sent (counted `recalled`); a batch whose latest message
   * was recalled is sent without a preview, as with `content: "hidden"`. Without it a recall
   * made during the window is not seen, and the preview shows the recalled text.
   */
  getMessage?: (messageId: string) => Promise<Message | undefined>;
  /** Told of every counter increment. */
  metrics?: PushMetricsListener;
  /**
   * Told of errors that reach no caller, as an `ImError` (anything else wrapped as `internal`,
   * the original as `cause`) and what failed: `"push queue enqueue"`, `"push queue claim"`,
   * `"push batch"`, `"push job"`, `"push registry dropToken"`, `"push provider <platform>"`, `"push queue purgeDead"`.
   * @default ignored
   */
  onError?: BackgroundErrorHandler;
}

/**
 * Turns messages for offline users into push notifications: pass
 * {@link PushNotifier.onOffline} as the engine's `onOffline` hook. Messages
 * become jobs in a {@link PushQueue}; a worker claims the due ones and sends.
 */
export interface PushNotifier {
  /**
   * The engine hook: records the message in the queue for each user and
   * resolves once recorded (never waits for a push service). Rejects when the
   * queue failed for some user: with the engine's `delivery.settleAfterOffline` the
   * message's outbox entry then stays pending and the relay calls the hook again
   * (users already recorded count the message twice in their batch).
   */
  onOffline(message: Message, userIds: string[]): Promise<void>;
  /** The counters so far (a live view). */
  readonly counters: Readonly<PushCounters>;
  /** How many jobs the queue holds (pending, leased, dead): the queue depth gauge. */
  queueStats(): Promise<PushQueueStats>;
  /** Sends every open batch now instead of at the end of its window. */
  flush(): void;
  /**
   * Resolves once this notifier has nothing recording, claiming or in flight,
   * and no batch window or retry of its own is waiting.
   */
  idle(): Promise<void>;
  /**
   * Stops taking messages and polling, waits for the jobs in flight. Jobs still
   * waiting (open batches, retries) stay in the queue: a durable queue sends
   * them from another node or the next start.
   */
  close(): Promise<void>;
}

interface Wake {
  at: number;
  /** The user and conversation of a batch window; absent for a retry. */
  key?: string;
}

interface DeviceSend {
  device: PushDevice;
  result: PushResult;
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
    leaseMs = 60_000,
    pollIntervalMs = 1000,
    ttlSeconds = 86_400,
    deadRetentionMs = 7 * 86_400_000,
    purgeIntervalMs = 3_600_000,
    getMessage,
    metrics,
    onError: errorHandler,
  } = options;
  const onError = (error: unknown, context: string) => {
    if (errorHandler) reportBackgroundError(errorHandler, error, context);
  };
  for (const [name, value] of Object.entries({
    concurrency,
    maxAttempts,
    leaseMs,
    pollIntervalMs,
    deadRetentionMs,
    purgeIntervalMs,
  })) {
    checkOption("push", name, value, { min: 1, integer: true });
  }
  const queue = options.queue ?? createMemoryPushQueue({ maxJobs: maxQueued });
  const providers = new Map<PushPlatform, PushProvider>();
  for (const provider of options.providers) providers.set(provider.platform, provider);

  const counters = zeroCounters();
  const count = (counter: PushCounterName, platform?: PushPlatform) => {
    counters[counter]++;
    metrics?.(counter, platform);
  };

  // When this notifier's own batch windows and retries fall due, earliest first.
  let wakes: Wake[] = [];
  // The batch windows this notifier opened and waits for, by user and conversation:
  // more messages of a burst need no wake of their own.
  const windows = new Map<string, number>();
  let wakeTimer: ReturnType<typeof setTimeout> | undefined;
  let wakeTimerAt = Number.POSITIVE_INFINITY;
  let lastWake = 0;
  let recording = 0;
  let active = 0;
  let claiming = false;
  let claimAgain = false;
  let flushing = false;
  let closed = false;
  let idleWaiters: (() => void)[] = [];

  const poller = setInterval(() => pump(), pollIntervalMs);
  poller.unref?.();
  // Dead jobs are kept for inspection, not for ever (every node purges: it is idempotent).
  // A queue written against the contract before purgeDead existed has no such method; whatever
  // the queue throws, even synchronously, is reported, never fatal.
  const purger =
    typeof queue.purgeDead === "function"
      ? setInterval(() => {
          Promise.resolve()
            .then(() => queue.purgeDead(Date.now() - deadRetentionMs))
            .catch((error: unknown) => onError(error, "push queue purgeDead"));
        }, purgeIntervalMs)
      : undefined;
  purger?.unref?.();

  const backlog = () => recording + active + (claiming ? 1 : 0) + wakes.length;
  const settle = () => {
    if (backlog() > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const armWake = () => {
    const next = wakes[0];
    if (closed || next === undefined) {
      clearTimeout(wakeTimer);
      wakeTimer = undefined;
      wakeTimerAt = Number.POSITIVE_INFINITY;
      return;
    }
    if (wakeTimer !== undefined && wakeTimerAt <= next.at) return;
    clearTimeout(wakeTimer);
    wakeTimerAt = next.at;
    wakeTimer = setTimeout(
      () => {
        wakeTimer = undefined;
        wakeTimerAt = Number.POSITIVE_INFINITY;
        const now = Math.max(Date.now(), next.at);
        lastWake = Math.max(lastWake, now);
        let due = 0;
        while (due < wakes.length && (wakes[due] as Wake).at <= now) due++;
        for (const wake of wakes.slice(0, due)) {
          if (wake.key !== undefined && windows.get(wake.key) === wake.at) windows.delete(wake.key);
        }
        wakes = wakes.slice(due);
        armWake();
        // pump() marks a claim as running at once, so the backlog never drops to zero here.
        pump();
      },
      Math.max(0, next.at - Date.now()),
    );
    wakeTimer.unref?.();
  };

  const addWake = (at: number, key?: string) => {
    if (closed) return;
    if (key !== undefined) {
      if (windows.has(key)) return;
      windows.set(key, at);
    }
    let index = wakes.length;
    while (index > 0 && (wakes[index - 1] as Wake).at > at) index--;
    wakes.splice(index, 0, key === undefined ? { at } : { at, key });
    armWake();
  };

  /** Claims due jobs while there is room (again after a running claim, if asked meanwhile). */
  function pump(): void {
    if (claiming) {
      claimAgain = true;
      return;
    }
    if (closed) {
      settle();
      return;
    }
    claiming = true;
    claimAgain = false;
    void claimLoop().finally(() => {
      claiming = false;
      if (claimAgain && !closed) pump();
      else settle();
    });
  }

  async function claimLoop(): Promise<void> {
    try {
      while (!closed && active < concurrency) {
        const limit = concurrency - active;
        const openBatches = flushing;
        const jobs = await queue.claim({
          limit,
          leaseMs,
          now: Math.max(Date.now(), lastWake),
          openBatches,
        });
        if (openBatches && jobs.length < limit) flushing = false;
        for (const job of jobs) {
          active++;
          void run(job)
            .catch((error: unknown) => onError(error, "push job"))
            .finally(() => {
              active--;
              pump();
              settle();
            });
        }
        if (jobs.length < limit) return;
      }
    } catch (error) {
      onError(error, "push queue claim");
    }
  }

  async function run(job: ClaimedPushJob): Promise<void> {
    if (job.attempts > maxAttempts) {
      // Claimed again after its last attempt's worker crashed: give it up.
      await bury(job, job.lastError ?? "out of attempts", job.devices?.length ?? 1);
      return;
    }
    let sends: DeviceSend[];
    try {
      const prepared = await prepare(job);
      if (prepared === undefined) {
        await queue.complete(job);
        return;
      }
      sends = await Promise.all(prepared.map((send) => send()));
    } catch (error) {
      onError(error, "push batch");
      await retryOrBury(job, String(error), job.devices ?? [], 0, 1);
      return;
    }
    const waiting: string[] = [];
    let afterMs = 0;
    const reasons: string[] = [];
    for (const { device, result } of sends) {
      switch (result.status) {
        case "ok":
          count("sent", device.platform);
          break;
        case "invalid-token":
          count("invalidTokens", device.platform);
          await registry.dropToken(device.platform, device.token).catch((error: unknown) => {
            onError(error, "push registry dropToken");
          });
          break;
        case "retry-after":
        case "failure":
          if (result.status === "retry-after" || result.retryable) {
            waiting.push(device.deviceId);
            reasons.push(result.reason);
            if (result.status === "retry-after") afterMs = Math.max(afterMs, result.afterMs);
          } else {
            count("failed", device.platform);
          }
      }
    }
    if (waiting.length === 0) {
      await queue.complete(job);
      return;
    }
    await retryOrBury(
      job,
      reasons.join("; "),
      waiting,
      afterMs,
      waiting.length,
      sends.filter((send) => waiting.includes(send.device.deviceId)).map((s) => s.device.platform),
    );
  }

  /** The sends of a job (undefined: nothing to send: muted, or no device left). */
  async function prepare(job: ClaimedPushJob): Promise<(() => Promise<DeviceSend>)[] | undefined> {
    const { userId, conversationId } = job;
    if (isMuted && !(job.mentioned && mentionsOverrideMute)) {
      if (await isMuted(userId, conversationId)) {
        count("muted");
        return undefined;
      }
    }
    // Recalled during the batch window: not shown (not sent at all when it was the only one).
    const recalled = getMessage && (await getMessage(job.latest.messageId))?.recalled === true;
    if (recalled && job.count === 1) {
      count("recalled");
      return undefined;
    }
    let devices = await registry.listByUser(userId);
    if (job.devices !== undefined) {
      const still = new Set(job.devices);
      devices = devices.filter((device) => still.has(device.deviceId));
    }
    if (devices.length === 0) return undefined;
    const text = notificationText(recalled ? "hidden" : content, job);
    const notification: PushNotification = {
      ...text,
      conversationId,
      count: job.count,
      collapseKey: conversationId,
      ttlSeconds,
      urgency: "high",
      data: {
        conversationId,
        messageId: job.latest.messageId,
        seq: String(job.latest.seq),
        count: String(job.count),
      },
    };
    const sends: (() => Promise<DeviceSend>)[] = [];
    for (const device of devices) {
      const provider = providers.get(device.platform);
      if (provider === undefined) {
        count("failed", device.platform);
        continue;
      }
      sends.push(async () => {
        try {
          return { device, result: await provider.send(notification, device) };
        } catch (error) {
          onError(error, `push provider ${provider.platform}`);
          return {
            device,
            result: { status: "failure", retryable: true, reason: String(error) },
          };
        }
      });
    }
    return sends.length === 0 ? undefined : sends;
  }

  async function retryOrBury(
    job: ClaimedPushJob,
    error: string,
    devices: string[],
    afterMs: number,
    sendCount: number,
    platforms: PushPlatform[] = [],
  ): Promise<void> {
    if (job.attempts >= maxAttempts) {
      await bury(job, error, sendCount, platforms);
      return;
    }
    const backoff = backoffDelay(job.attempts - 1, retryInitialDelayMs, retryMaxDelayMs);
    const delay = Math.min(Math.max(afterMs, backoff), retryMaxDelayMs);
    const retryAt = Date.now() + delay;
    const devicesLeft = devices.length > 0 ? { devices } : {};
    if (await queue.fail(job, { error, retryAt, ...devicesLeft })) {
      for (let i = 0; i < sendCount; i++) count("retried", platforms[i]);
      addWake(retryAt);
    }
  }

  async function bury(
    job: ClaimedPushJob,
    error: string,
    sendCount: number,
    platforms: PushPlatform[] = [],
  ): Promise<void> {
    if (await queue.fail(job, { error })) {
      count("dead");
      for (let i = 0; i < sendCount; i++) count("failed", platforms[i]);
    }
  }

  const mentions = (message: Message, userId: string) =>
    message.mentions?.some((mention) => mention === userId || mention === "all") ?? false;

  /** Records one user's message; rejects when the queue failed (counted `dropped`). */
  async function record(message: Message, userId: string, dueAt: number): Promise<void> {
    recording++;
    try {
      const entry = {
        userId,
        conversationId: message.conversationId,
        message,
        mentioned: mentions(message, userId),
      };
      if (await queue.enqueue(entry, dueAt))
        addWake(dueAt, `${userId}\u0000${message.conversationId}`);
      else count("dropped");
    } catch (error) {
      count("dropped");
      onError(error, "push queue enqueue");
      throw error;
    } finally {
      recording--;
      settle();
    }
  }

  return {
    async onOffline(message, userIds) {
      const dueAt = Date.now() + batchWindowMs;
      const recorded: Promise<void>[] = [];
      for (const userId of userIds) {
        if (closed) count("dropped");
        else recorded.push(record(message, userId, dueAt));
      }
      const failed = (await Promise.allSettled(recorded)).find(
        (outcome): outcome is PromiseRejectedResult => outcome.status === "rejected",
      );
      if (failed) throw failed.reason;
    },
    counters,
    queueStats: () => queue.stats(),
    flush() {
      if (closed) return;
      wakes = wakes.filter((wake) => wake.key === undefined);
      windows.clear();
      armWake();
      flushing = true;
      pump();
      settle();
    },
    idle() {
      if (backlog() === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async close() {
      closed = true;
      clearInterval(poller);
      clearInterval(purger);
      wakes = [];
      windows.clear();
      armWake();
      settle();
      await new Promise<void>((resolve) => {
        if (backlog() === 0) resolve();
        else idleWaiters.push(resolve);
      });
    },
  };
}
