import type { AddressInfo } from "node:net";
import { eventually } from "@lucky-im/core/testing";
import { type WebSocket, WebSocketServer } from "ws";

/** A frame as the fake server received it. */
export type Frame = { type: string } & Record<string, unknown>;

/** One connection of the scripted server. */
export class FakeConnection {
  readonly frames: Frame[] = [];
  private readonly taken = new Set<number>();
  closed: { code: number; reason: string } | undefined;
  /** Answer `ping` with `pong` by itself. */
  answerPings = true;

  constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      this.frames.push(frame);
      if (frame.type === "ping" && this.answerPings) this.send({ type: "pong", ts: frame.ts });
    });
    socket.on("close", (code, reason) => {
      this.closed = { code, reason: String(reason) };
    });
  }

  /** The sub-protocol the handshake selected. */
  get protocol(): string {
    return this.socket.protocol;
  }

  /** The first received frame of `type` not yet taken by `next` (waits for one). */
  async next(type: string, timeoutMs = 10_000): Promise<Frame> {
    let found: Frame | undefined;
    await eventually(
      () => {
        for (let i = 0; i < this.frames.length; i++) {
          if (this.frames[i]!.type === type && !this.taken.has(i)) {
            found = this.frames[i];
            this.taken.add(i);
            return true;
          }
        }
        return false;
      },
      { message: `a "${type}" frame`, timeoutMs: timeoutMs, intervalMs: 5 },
    );
    return found!;
  }

  /** Every received frame of `type`. */
  all(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }

  send(frame: Record<string, unknown>): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** Waits for `auth` and answers `ready` (with `extra.ready`'s fields added); returns the auth frame. */
  async accept(
    userId: string,
    extra: { heartbeatMs?: number; ready?: Record<string, unknown> } = {},
  ): Promise<Frame> {
    const auth = await this.next("auth");
    this.send({
      type: "ready",
      userId,
      sessionId: `s_${Math.random().toString(36).slice(2)}`,
      nodeId: "n1",
      heartbeatMs: extra.heartbeatMs ?? 25_000,
      serverTime: Date.now(),
      ...extra.ready,
    });
    return auth;
  }
}

/** A WebSocket server on 127.0.0.1, port 0, whose side the test scripts by hand. */
export class FakeServer {
  readonly connections: FakeConnection[] = [];
  private taken = 0;

  private constructor(
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {
    wss.on("connection", (socket) => {
      this.connections.push(new FakeConnection(socket));
    });
  }

  static async start(): Promise<FakeServer> {
    const wss = new WebSocketServer({
      host: "127.0.0.1",
      port: 0,
      handleProtocols: (protocols) => (protocols.has("lucky-im.v1") ? "lucky-im.v1" : false),
    });
    await new Promise<void>((resolve, reject) => {
      wss.once("listening", resolve);
      wss.once("error", reject);
    });
    const { port } = wss.address() as AddressInfo;
    return new FakeServer(wss, `ws://127.0.0.1:${port}/ws`);
  }

  /** The next connection not yet taken. */
  async nextConnection(timeoutMs = 10_000): Promise<FakeConnection> {
    await eventually(() => this.connections.length > this.taken, {
      message: "a connection",
      timeoutMs: timeoutMs,
      intervalMs: 5,
    });
    return this.connections[this.taken++]!;
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

let counter = 0;

/** A `message` frame for conversation `d:a:b`. */
export function messageFrame(
  seq: number,
  options: { conversationId?: string; from?: string; messageId?: string; cid?: string } = {},
): Record<string, unknown> {
  counter++;
  return {
    type: "message",
    messageId: options.messageId ?? `m-${seq}-${counter}`,
    conversationId: options.conversationId ?? "d:alice:bob",
    seq,
    from: options.from ?? "bob",
    to: { type: "user", id: "alice" },
    body: { type: "text", text: `hello ${seq}` },
    ts: Date.now(),
    cid: options.cid ?? `c-${seq}-${counter}`,
  };
}
