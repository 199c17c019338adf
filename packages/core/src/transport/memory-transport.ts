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
  close(code = CloseCode.normal): void {
    this.connection.close(code, "client closed");
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
  readonly bufferedAmount = 0;
  readonly client: MemoryClient;
  private closed = false;

  constructor(
    readonly id: string,
    readonly info: ConnectionInfo,
    private readonly onGone: (connection: MemoryConnection) => void,
  ) {
    this.client = new MemoryClient(this);
  }

  send(data: string): boolean {
    if (this.closed) return false;
    this.client.receive(data);
    return true;
  }

  close(code: number, reason = ""): void {
    if (this.closed) return;
    this.closed = true;
    this.onGone(this);
    this.client.onClosed(code, reason);
    // Like a socket, the server side learns of the close asynchronously.
    queueMicrotask(() => this.client.handler?.onClose(code, reason));
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
    const connection = new MemoryConnection(`m${++this.counter}`, info, (c) => this.open.delete(c));
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

/** Creates an in-memory transport (tests, or an engine embedded without sockets). */
export function createMemoryTransport(): MemoryTransport {
  return new MemoryTransport();
}
