import type {
  ConnectionHandler,
  ConnectionInfo,
  Transport,
  TransportConnection,
  TransportListener,
} from "../contracts/transport.js";
import { ImError } from "../errors.js";
import { CloseCode } from "../protocol/close-codes.js";
import type { ServerFrame } from "../protocol/schemas.js";

/** Options of {@link MemoryTransport.connect}. */
export interface MemoryConnectOptions {
  /** A token to authenticate at the "handshake" (like `Authorization: Bearer`). */
  token?: string;
  /** The device id the connection reports. */
  deviceId?: string;
  /** The device class the connection reports. */
  deviceClass?: string;
  /** The client address the connection reports. */
  remoteAddress?: string;
}

/**
 * Options of {@link createMemoryTransport}: the same backpressure limits as the
 * WebSocket transport. They only come into play while a test holds a client's
 * frames with {@link MemoryClient.pause}.
 */
export interface MemoryTransportOptions {
  /**
   * Bytes queued for one client above which it counts as slow.
   * @default 1048576 (1 MiB)
   */
  highWaterMark?: number;
  /**
   * Bytes queued for one client past which it is closed with 4008 at once.
   * @default 4194304 (4 MiB)
   */
  maxBufferedBytes?: number;
  /**
   * How long a client may stay above `highWaterMark` before it is closed with 4008.
   * @default 10000
   */
  slowClientTimeoutMs?: number;
}

/** {@link MemoryTransportOptions} with every default filled in. */
type MemoryLimits = Required<MemoryTransportOptions>;

const MEMORY_DEFAULTS: MemoryLimits = {
  highWaterMark: 1024 * 1024,
  maxBufferedBytes: 4 * 1024 * 1024,
  slowClientTimeoutMs: 10_000,
};

/** A frame matcher: a frame `type`, or a predicate. */
export type FrameMatcher = string | ((frame: ServerFrame) => boolean);

/**
 * The client end of an in-memory connection, for tests: send frames, read
 * what the server sent, wait for a frame, see the close code.
 */
export class MemoryClient {
  /** Every frame the server sent, in order. */
  readonly frames: ServerFrame[] = [];
  /** Set once the connection closed. */
  closeCode: number | undefined;
  /** The close reason, set with {@link MemoryClient.closeCode}. */
  closeReason: string | undefined;
  /** Resolves with the close code once the connection closed. */
  readonly closed: Promise<number>;
  private resolveClosed!: (code: number) => void;
  private waiters: Array<{
    match: (f: ServerFrame) => boolean;
    resolve: (f: ServerFrame) => void;
  }> = [];
  /** Frames already returned by `next`. */
  private readonly taken = new Set<number>();
  /** @internal */
  handler: ConnectionHandler | undefined;

  /** @internal The memory transport creates it: use `transport.connect()`. */
  constructor(private readonly connection: MemoryConnection) {
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  /** Sends a frame (an object is serialized; a string is sent as it is). */
  send(frame: object | string): void {
    if (this.closeCode !== undefined) return;
    const data = typeof frame === "string" ? frame : JSON.stringify(frame);
    queueMicrotask(() => this.handler?.onFrame(data));
  }

  /**
   * Resolves with the first frame that matches and was not returned by an
   * earlier `next`, waiting for it if needed; rejects after `timeoutMs`.
   */
  next<T extends ServerFrame = ServerFrame>(matcher?: FrameMatcher, timeoutMs = 5_000): Promise<T> {
    const match = toPredicate(matcher);
    for (let i = 0; i < this.frames.length; i++) {
      if (!this.taken.has(i) && match(this.frames[i]!)) {
        this.taken.add(i);
        return Promise.resolve(this.frames[i] as T);
      }
    }
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        match,
        resolve: (frame: ServerFrame) => {
          clearTimeout(timer);
          resolve(frame as T);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no frame matching ${String(matcher)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Frames received so far that match. */
  all<T extends ServerFrame = ServerFrame>(matcher?: FrameMatcher): T[] {
    return this.frames.filter(toPredicate(matcher)) as T[];
  }

  /** Closes from the client side. */
  close(code: number = CloseCode.normal): void {
    this.connection.close(code, "client closed");
  }

  /**
   * Stops reading, like a client whose socket is not read: frames the server
   * sends from now on queue up and count in its `bufferedAmount`.
   */
  pause(): void {
    this.connection.paused = true;
  }

  /** Reads at most `count` queued frames (a slow reader); stays paused. Returns how many were read. */
  read(count = Number.POSITIVE_INFINITY): number {
    return this.connection.deliver(count);
  }

  /** Reads every queued frame and reads as they come again. */
  resume(): void {
    this.connection.paused = false;
    this.connection.deliver(Number.POSITIVE_INFINITY);
  }

  /** @internal */
  receive(data: string): void {
    const frame = JSON.parse(data) as ServerFrame;
    this.frames.push(frame);
    const index = this.waiters.findIndex((w) => w.match(frame));
    if (index >= 0) {
      const [waiter] = this.waiters.splice(index, 1);
      this.taken.add(this.frames.length - 1);
      waiter!.resolve(frame);
    }
  }

  /** @internal */
  onClosed(code: number, reason: string): void {
    this.closeCode = code;
    this.closeReason = reason;
    this.resolveClosed(code);
  }
}

function toPredicate(matcher: FrameMatcher | undefined): (frame: ServerFrame) => boolean {
  if (matcher === undefined) return () => true;
  if (typeof matcher === "string") return (frame) => frame.type === matcher;
  return matcher;
}

class MemoryConnection implements TransportConnection {
  readonly client: MemoryClient;
  /** Set by the client's `pause()`: frames queue instead of arriving. */
  paused = false;
  private closed = false;
  private readonly queue: string[] = [];
  private queuedBytes = 0;
  private slowTimer: ReturnType<typeof setTimeout> | undefined;
  private drainWaiters: Array<{ maxBytes: number; resolve: (drained: boolean) => void }> = [];

  constructor(
    readonly id: string,
    readonly info: ConnectionInfo,
    private readonly limits: MemoryLimits,
    private readonly onGone: (connection: MemoryConnection) => void,
  ) {
    this.client = new MemoryClient(this);
  }

  get bufferedAmount(): number {
    return this.queuedBytes;
  }

  send(data: string): boolean {
    if (this.closed) return false;
    if (!this.paused && this.queue.length === 0) {
      this.client.receive(data);
      return true;
    }
    const bytes = Buffer.byteLength(data);
    if (this.queuedBytes + bytes > this.limits.maxBufferedBytes) {
      this.close(CloseCode.tooSlow, "too slow: send queue full");
      return false;
    }
    this.queue.push(data);
    this.queuedBytes += bytes;
    if (this.queuedBytes > this.limits.highWaterMark) this.markSlow();
    return true;
  }

  waitForDrain(maxBufferedBytes: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.queuedBytes <= maxBufferedBytes) return Promise.resolve(true);
    return new Promise((resolve) => {
      this.drainWaiters.push({ maxBytes: maxBufferedBytes, resolve });
    });
  }

  /** Hands at most `count` queued frames to the client. */
  deliver(count: number): number {
    let delivered = 0;
    while (delivered < count && this.queue.length > 0 && !this.closed) {
      const data = this.queue.shift()!;
      this.queuedBytes -= Buffer.byteLength(data);
      delivered++;
      this.client.receive(data);
    }
    if (this.queuedBytes <= this.limits.highWaterMark) this.clearSlow();
    const ready = this.drainWaiters.filter((w) => this.queuedBytes <= w.maxBytes);
    this.drainWaiters = this.drainWaiters.filter((w) => this.queuedBytes > w.maxBytes);
    for (const waiter of ready) waiter.resolve(true);
    return delivered;
  }

  close(code: number, reason = ""): void {
    if (this.closed) return;
    this.closed = true;
    this.clearSlow();
    // Like a socket that is torn down: what the client did not read is gone.
    this.queue.length = 0;
    this.queuedBytes = 0;
    for (const waiter of this.drainWaiters.splice(0)) waiter.resolve(false);
    this.onGone(this);
    this.client.onClosed(code, reason);
    // Like a socket, the server side learns of the close asynchronously.
    queueMicrotask(() => this.client.handler?.onClose(code, reason));
  }

  private markSlow(): void {
    if (this.slowTimer !== undefined) return;
    this.slowTimer = setTimeout(() => {
      this.slowTimer = undefined;
      if (this.queuedBytes > this.limits.highWaterMark) {
        this.close(CloseCode.tooSlow, "too slow: reads slower than it is sent to");
      }
    }, this.limits.slowClientTimeoutMs);
    this.slowTimer.unref?.();
  }

  private clearSlow(): void {
    clearTimeout(this.slowTimer);
    this.slowTimer = undefined;
  }
}

/**
 * A {@link Transport} inside the process, for tests and embedding: no
 * sockets; `connect()` gives the client end.
 */
export class MemoryTransport implements Transport {
  private listener: TransportListener | undefined;
  private readonly open = new Set<MemoryConnection>();
  private counter = 0;
  private readonly limits: MemoryLimits;

  constructor(options: MemoryTransportOptions = {}) {
    this.limits = { ...MEMORY_DEFAULTS, ...withoutUndefined(options) };
  }

  async listen(listener: TransportListener): Promise<void> {
    this.listener = listener;
  }

  /**
   * Opens a connection. With a `token`, it is checked first and a bad one
   * rejects with `unauthorized` (what HTTP 401 is for the WebSocket transport).
   */
  async connect(options: MemoryConnectOptions = {}): Promise<MemoryClient> {
    const listener = this.listener;
    if (!listener)
      throw new ImError("unavailable", "[lucky-im] [core] memory transport is not listening");
    const info: ConnectionInfo = { remoteAddress: options.remoteAddress ?? "memory" };
    if (options.deviceId !== undefined) info.deviceId = options.deviceId;
    if (options.deviceClass !== undefined) info.deviceClass = options.deviceClass;
    if (options.token !== undefined) {
      info.principal = await listener.authenticate(options.token);
      info.token = options.token;
    }
    const connection = new MemoryConnection(`m${++this.counter}`, info, this.limits, (c) =>
      this.open.delete(c),
    );
    this.open.add(connection);
    connection.client.handler = listener.open(connection);
    return connection.client;
  }

  /** Open connections now. */
  get connectionCount(): number {
    return this.open.size;
  }

  async close(code: number = CloseCode.goingAway): Promise<void> {
    for (const connection of [...this.open]) connection.close(code, "server closing");
    this.listener = undefined;
    // Let the engine see every close before close() resolves.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function withoutUndefined(options: MemoryTransportOptions): MemoryTransportOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

/** Creates an in-memory transport (tests, or an engine embedded without sockets). */
export function createMemoryTransport(options: MemoryTransportOptions = {}): MemoryTransport {
  return new MemoryTransport(options);
}
