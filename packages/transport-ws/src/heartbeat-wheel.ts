/** How often the wheel turns at most (ms): the pings of one heartbeat are spread over slices this long. */
const SLICE_MS = 100;

/** What the wheel pings. */
export interface HeartbeatTarget {
  /** Pings the peer, or drops it after too many missed pongs. */
  heartbeat(): unknown;
}

/**
 * Pings every connection once per `heartbeatMs`, spread over the interval. One sweep of every
 * connection in one tick costs a socket write each: 20,000 connections stopped the event loop
 * for hundreds of milliseconds every 25 s, a stall in every message's latency. Here connections
 * are dealt round-robin into `heartbeatMs / 100` slots, and one slot is pinged every 100 ms:
 * each connection still gets one ping per `heartbeatMs`, a tick pings 1/250 of them (at the
 * default 25 s). One timer for the whole transport.
 */
export class HeartbeatWheel<T extends HeartbeatTarget> {
  private readonly slots: Set<T>[];
  private readonly slotOf = new Map<T, number>();
  /** The slot the next added connection goes to. */
  private nextSlot = 0;
  /** The slot the next tick pings. */
  private turn = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly sliceMs: number;

  /** @param heartbeatMs - how often each connection is pinged (above 0) */
  constructor(heartbeatMs: number) {
    const count = Math.max(1, Math.floor(heartbeatMs / SLICE_MS));
    this.slots = Array.from({ length: count }, () => new Set<T>());
    this.sliceMs = heartbeatMs / count;
  }

  /** Starts pinging (the timer does not keep the process alive). */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.tick(), this.sliceMs);
    this.timer.unref();
  }

  /** Stops pinging. */
  stop(): void {
    clearInterval(this.timer);
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

  /** Pings the connections of the next slot (a connection dropped meanwhile leaves its slot). */
  tick(): void {
    const slot = this.slots[this.turn]!;
    this.turn = (this.turn + 1) % this.slots.length;
    for (const target of slot) target.heartbeat();
  }
}
