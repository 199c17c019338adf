import type { StoreContext } from "./context.js";

/** @internal Per-store state of the NOTIFY throttle. */
export interface NotifyState {
  /** Date.now() of the last NOTIFY this store sent. */
  lastAt: number;
  /** Minimum time between two NOTIFYs from one store, in ms. */
  intervalMs: number;
}

/**
 * @internal The payload of the outbox wake-up hint an append should send,
 * or undefined when this store sent one less than `intervalMs` ago: NOTIFY
 * serializes commits, so appends send at most one per interval. The payload
 * is the time by which every entry this store writes until its next NOTIFY
 * is due, so a listener that wakes then finds them all. Sent inside the
 * append's transaction, PostgreSQL delivers it at commit, never for a
 * rolled back one.
 */
export function notifyPayload(ctx: StoreContext, dueAt: number): string | undefined {
  const state = ctx.notify;
  const now = Date.now();
  if (state.lastAt !== 0 && now - state.lastAt < state.intervalMs) return undefined;
  state.lastAt = now;
  return String(Math.max(dueAt, now + ctx.options.outboxGraceMs) + state.intervalMs);
}

/** The part of a `pg` client the listener uses. */
interface ListenClient {
  query(text: string): Promise<unknown>;
  on(
    event: "notification",
    listener: (message: { channel: string; payload?: string }) => void,
  ): void;
  on(event: "error" | "end", listener: (error?: Error) => void): void;
  removeAllListeners(event?: string): void;
  release(error?: Error | boolean): void;
}

/** @internal What {@link listenOutbox} needs. */
export interface ListenOptions {
  connect(): Promise<unknown>;
  channel: string;
  onWake: () => void;
  onError: (error: unknown) => void;
  /** Delay before re-listening after the connection was lost, in ms. */
  reconnectDelayMs: number;
}

/**
 * @internal Holds one pooled connection in `LISTEN` and turns notifications
 * into `onWake()` calls at the time the entries become due. Wakes are
 * coalesced: at most one timer is pending; a notification due later than it
 * is remembered and woken for after it. After a lost connection it listens
 * again and wakes once (notifications may have been missed).
 */
export function listenOutbox(options: ListenOptions): () => Promise<void> {
  let client: ListenClient | undefined;
  let stopped = false;
  let wakeTimer: ReturnType<typeof setTimeout> | undefined;
  let wakeAt = 0;
  let laterDueAt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const fire = () => {
    wakeTimer = undefined;
    wakeAt = 0;
    if (stopped) return;
    try {
      options.onWake();
    } catch (error) {
      options.onError(error);
    }
    if (laterDueAt > 0) {
      const due = laterDueAt;
      laterDueAt = 0;
      schedule(due);
    }
  };

  const schedule = (dueAt: number) => {
    if (wakeTimer !== undefined && dueAt >= wakeAt) {
      laterDueAt = Math.max(laterDueAt, dueAt);
      return;
    }
    if (wakeTimer !== undefined) {
      clearTimeout(wakeTimer);
      laterDueAt = Math.max(laterDueAt, wakeAt);
    }
    wakeAt = dueAt;
    wakeTimer = setTimeout(fire, Math.max(0, dueAt - Date.now()));
    wakeTimer.unref();
  };

  const dead = new WeakSet<ListenClient>();

  const lost = (which: ListenClient | undefined, error: unknown) => {
    if (which !== undefined) {
      // `error` and `end` both arrive for one loss: handle it once.
      if (dead.has(which)) return;
      dead.add(which);
      if (client === which) client = undefined;
      which.removeAllListeners("notification");
      which.removeAllListeners("end");
      try {
        which.release(error instanceof Error ? error : true);
      } catch {
        // already released
      }
    }
    if (stopped) return;
    options.onError(error);
    if (retryTimer === undefined) {
      retryTimer = setTimeout(() => void start(true), options.reconnectDelayMs);
      retryTimer.unref();
    }
  };

  const start = async (afterLoss: boolean) => {
    retryTimer = undefined;
    if (stopped) return;
    let next: ListenClient | undefined;
    try {
      next = (await options.connect()) as ListenClient;
      const self = next;
      if (stopped) {
        self.release();
        return;
      }
      // Stays attached after a loss too: a late socket error must not crash the process.
      self.on("error", (error) => lost(self, error));
      self.on("end", () =>
        lost(self, new Error("[lucky-im] [store-postgres] LISTEN connection ended")),
      );
      self.on("notification", (message) => {
        if (message.channel !== options.channel) return;
        const dueAt = Number(message.payload);
        schedule(Number.isFinite(dueAt) ? dueAt : Date.now());
      });
      await self.query(`LISTEN "${options.channel}"`);
      if (dead.has(self)) return;
      if (stopped) {
        // stop() ran while LISTEN was in flight: nobody else will release this client, and
        // pool.end() would wait for it forever.
        dead.add(self);
        self.release();
        return;
      }
      client = self;
      // Notifications sent while we were away are lost: wake once.
      if (afterLoss) schedule(Date.now());
    } catch (error) {
      lost(next, error);
    }
  };

  void start(false);

  return async () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(wakeTimer);
    clearTimeout(retryTimer);
    const current = client;
    client = undefined;
    if (current) {
      dead.add(current);
      current.removeAllListeners("notification");
      current.removeAllListeners("end");
      try {
        await current.query(`UNLISTEN "${options.channel}"`);
        current.release();
      } catch (error) {
        current.release(error instanceof Error ? error : true);
      }
    }
  };
}
