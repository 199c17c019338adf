/** How often the wheel turns at most (ms): the pings of one heartbeat are spread over slices this long. */
const SLICE_MS = 100;
/** Most slots: a very long interval gets longer slices, not more sets. */
const MAX_SLOTS = 256;
/** The longest delay a Node timer takes (a longer one fires after 1 ms). */
const MAX_TIMER_MS = 2_147_483_647;

/** What the wheel pings. */
export interface HeartbeatTarget {
  /** Pings the peer, or drops it after too many missed pongs. */
  heartbeat(): unknown;
}

/**
 * Pings every connection once per `heartbeatMs`, spread over the interval. One sweep of every
 * connection in one tick costs a socket write each: 10,000 connections stopped the event loop
 * for 110-315 ms per sweep, a stall in every message's latency. Here connections are dealt
 * round-robin into `heartbeatMs / 100` slots (at most 256), and the slots are pinged in turn,
 * one per slice: each connection still gets one ping per `heartbeatMs`, a slice pings 1/250 of
 * them at the default 25 s. Slices keep to a schedule from the start (a late timer does not push
 * the later ones back: the interval stays what the client was told in `ready`). One timer for
 * the whole transport.
 */
export class HeartbeatWheel<T extends HeartbeatTarget> {
  private readonly slots: Set<T>[];
  private readonly slotOf = new Map<T, number>();
  /** The slot the next added connection goes to. */
  private nextSlot = 0;
  /** Slices pinged since `start` (the next one pings slot `turns % slots`). */
  private turns = 0;
  private startedAt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly sliceMs: number;

  /**
   * @param heartbeatMs - how often each connection is pinged (above 0)
   * @param now - a monotonic clock in ms (tests pass their own)
   */
  constructor(
    heartbeatMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    const count = Math.min(MAX_SLOTS, Math.max(1, Math.floor(heartbeatMs / SLICE_MS)));
    this.slots = Array.from({ length: count }, () => new Set<T>());
    this.sliceMs = Math.min(MAX_TIMER_MS, heartbeatMs / count);
  }

  /** Starts pinging (the timer does not keep the process alive). */
  start(): void {
    if (this.timer !== undefined) return;
    this.startedAt = this.now();
    this.turns = 0;
    this.arm();
  }

  /** Stops pinging. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Adds a connection: its first ping comes within one `heartbeatMs`. */
  add(target: T): void {
    const slot = this.nextSlot;
    this.nextSlot = (slot + 1) % this.slots.length;
    this.slots[slot]!.add(target);
    this.slotOf.set(target, slot);
  }

  /** Removes a connection (closed). */
  delete(target: T): void {
    const slot = this.slotOf.get(target);
    if (slot === undefined) return;
    this.slotOf.delete(target);
    this.slots[slot]!.delete(target);
  }

  /** Sets the timer for the next slice, on the schedule counted from `start`. */
  private arm(): void {
    this.timer = setTimeout(() => this.tick(), Math.max(0, this.nextDueAt() - this.now()));
    this.timer.unref();
  }

  /** When the next slice is due on the schedule counted from `start`. */
  private nextDueAt(): number {
    return this.startedAt + (this.turns + 1) * this.sliceMs;
  }

  /**
   * Pings the slots whose slice is due: one normally, several after a late timer (never more
   * than one full turn, so no connection is pinged twice for one interval).
   */
  private tick(): void {
    const now = this.now();
    let pinged = 0;
    do {
      const slot = this.slots[this.turns % this.slots.length]!;
      this.turns++;
      pinged++;
      // A connection dropped meanwhile has left its slot (deleting while iterating is safe).
      for (const target of slot) target.heartbeat();
    } while (pinged < this.slots.length && this.nextDueAt() <= now);
    // After a stall longer than a turn, the schedule restarts from now.
    if (this.nextDueAt() <= now) {
      this.startedAt = now - this.turns * this.sliceMs;
    }
    if (this.timer !== undefined) this.arm();
  }
}
