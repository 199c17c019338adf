import type { OutboxStore } from "../contracts/outbox-store.js";
import type { ClaimedOutboxEntry, OutboxEntryKind } from "../domain/outbox.js";

/** Options of {@link OutboxRelay}. */
export interface OutboxRelayOptions {
  outbox: OutboxStore;
  /** The kinds of entries it claims (the store's default: messages only). */
  kinds?: readonly OutboxEntryKind[];
  /** Delivers one claimed entry; resolves true when every node accepted it. */
  deliver(entry: ClaimedOutboxEntry): Promise<boolean>;
  intervalMs: number;
  retentionMs: number;
  batchSize: number;
  leaseMs: number;
  reportError(error: unknown, context: string): void;
  onRelayed(count: number): void;
}

/**
 * The sweeper: re-publishes outbox entries the fast path missed (a crash
 * between commit and publish, a broker outage, a node that was unreachable).
 * Every node runs one; claims with leases keep them from doing the same work.
 */
export class OutboxRelay {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private purgeTimer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  /** A wake-up came during a pass: run another at once after it. */
  private wakeAgain = false;

  constructor(private readonly options: OutboxRelayOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule(this.options.intervalMs);
    // Often enough that published entries never pile up (in memory they would grow without bound).
    const purgeEvery = Math.max(1_000, Math.min(this.options.retentionMs, 60_000));
    this.purgeTimer = setInterval(() => void this.purge(), purgeEvery);
    this.purgeTimer.unref?.();
  }

  /** Runs a pass soon (a wake-up hint, e.g. from LISTEN/NOTIFY or a failed publish). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.wakeAgain = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.purgeTimer);
    await this.running;
  }

  /** One pass: claim, deliver, settle; repeats at once while full batches come back. */
  async runOnce(): Promise<number> {
    const { outbox, batchSize, leaseMs, kinds } = this.options;
    let total = 0;
    for (let round = 0; round < 100 && !this.stopped; round++) {
      const entries = await outbox.claim({
        limit: batchSize,
        leaseMs,
        ...(kinds ? { kinds } : {}),
      });
      if (entries.length === 0) break;
      const outcomes = await Promise.all(
        entries.map((entry) =>
          this.options.deliver(entry).catch((error: unknown) => {
            // Retried below with backoff; reported so that a failure that repeats is seen.
            this.options.reportError(error, "outbox relay delivery");
            return false;
          }),
        ),
      );
      const sent = entries.filter((_, i) => outcomes[i]);
      const failed = entries.filter((_, i) => !outcomes[i]);
      if (sent.length > 0) await outbox.markSent(sent.map((e) => e.id));
      for (const entry of failed) {
        // Exponential backoff per entry, capped at a minute.
        const delay = Math.min(60_000, 1_000 * 2 ** Math.min(entry.attempts, 6));
        await outbox.markFailed([entry.id], Date.now() + delay);
      }
      total += entries.length;
      this.options.onRelayed(sent.length);
      if (entries.length < batchSize) break;
    }
    return total;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .then(() => undefined)
        .catch((error: unknown) => this.options.reportError(error, "outbox relay"))
        .finally(() => {
          this.running = undefined;
          const again = this.wakeAgain;
          this.wakeAgain = false;
          if (!this.stopped) this.schedule(again ? 0 : this.options.intervalMs);
        });
    }, delayMs);
    this.timer.unref?.();
  }

  private async purge(): Promise<void> {
    try {
      await this.options.outbox.purge(Date.now() - this.options.retentionMs);
    } catch (error) {
      this.options.reportError(error, "outbox purge");
    }
  }
}
