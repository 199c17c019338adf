import { afterEach, describe, expect, it } from "vitest";
import type {
  ConnectionHandler,
  Transport,
  TransportConnection,
  TransportListener,
} from "../contracts/transport.js";
import type { Principal } from "../domain/session.js";
import { ImError } from "../errors.js";
import { eventually } from "./eventually.js";
import { settle } from "./fixtures.js";
import {
  type BackpressureLimits,
  backpressureTests,
  type StalledPeer,
} from "./transport-backpressure-conformance.js";

/** How a connection closed: the WebSocket-style close code and reason. */
export interface CloseInfo {
  /** The close code (1000, 4001, ...). */
  code: number;
  /** The close reason, possibly empty. */
  reason: string;
}

/** The client end of one connection to the transport under test. */
export interface TransportTestClient {
  /** Sends one text frame to the server. */
  send(data: string): void;
  /** The text frames the client has read so far, in order. */
  received(): readonly string[];
  /** Resolves with the close code and reason the client saw, once the connection closed. */
  readonly closed: Promise<CloseInfo>;
  /** Closes from the client side with `code`. */
  close(code: number): void;
  /** Stops reading: what the server sends from now on queues up on the server side. */
  pause(): void;
  /** Reads everything queued, and reads as frames come again. */
  resume(): void;
  /** Drops the connection at once, without a closing handshake (for cleanup). */
  terminate(): void;
}

/** A transport under test and the way to connect to it. */
export interface TransportUnderTest {
  /** The transport, not listening yet: the suite calls `listen` with its own listener. */
  transport: Transport;
  /**
   * Opens a client connection once the transport listens, resolving when it
   * is open. With `token`, the handshake carries it as the transport's
   * clients do (`Authorization: Bearer` for WebSocket); a handshake the
   * listener refuses rejects.
   */
  connect(options?: { token?: string }): Promise<TransportTestClient>;
}

/** Options of {@link transportConformance}. */
export interface TransportSuiteOptions {
  /** Names the transport in the suite's `describe` title. */
  name: string;
  /** A new transport with these backpressure limits (each test makes its own and closes it). */
  create(limits: BackpressureLimits): Promise<TransportUnderTest>;
  /** Registers the transport's own tests inside the same `describe`. */
  additionalTests?: (context: TransportSuiteContext) => void;
}

/** What the transport suite's tests, and `additionalTests`, work with. */
export interface TransportSuiteContext {
  /** A listening transport with roomy limits (or `limits`), closed after the test. */
  listen(limits?: BackpressureLimits): Promise<ListeningTransport>;
}

/** One server-side connection as the suite's listener saw it. */
export interface ServerSide {
  /** The connection the transport handed to the listener. */
  connection: TransportConnection;
  /** The frames the server received on it, in order. */
  frames: string[];
  /** Every `onClose` call, in order (the contract says exactly one). */
  closes: CloseInfo[];
  /** Resolves with the first `onClose` call. */
  closed: Promise<CloseInfo>;
}

/** Both ends of a connection the suite opened. */
export interface OpenedConnection {
  /** The client end. */
  client: TransportTestClient;
  /** The server end, as the listener saw it. */
  side: ServerSide;
}

/** A transport listening with the suite's recording listener. */
export interface ListeningTransport extends TransportUnderTest {
  /** Connections the listener was handed, in order. */
  server: ServerSide[];
  /** Connects and waits until the listener has the server side. */
  open(options?: { token?: string }): Promise<OpenedConnection>;
}

/** The handshake token the suite's listener accepts, for `userId`. */
const tokenFor = (userId: string) => `valid-${userId}`;

const ROOMY: BackpressureLimits = {
  highWaterMark: 1024 * 1024,
  maxBufferedBytes: 64 * 1024 * 1024,
  slowClientTimeoutMs: 120_000,
};

/**
 * The conformance suite of the `Transport` contract: connections reach the
 * listener (with the handshake's principal, or refused), frames travel both
 * ways in order and intact, close codes and reasons reach the other side and
 * `onClose` runs once, `bufferedAmount` falls back to 0 for a client that
 * reads, and the backpressure rules of `transportBackpressureConformance`.
 * Every transport runs it: the in-memory one in core, the WebSocket one over
 * real sockets.
 *
 * @example
 * ```ts
 * transportConformance({
 *   name: "memory",
 *   create: async (limits) => {
 *     const transport = createMemoryTransport(limits);
 *     return { transport, connect: async (options) => wrap(await transport.connect(options)) };
 *   },
 * });
 * ```
 */
export function transportConformance(options: TransportSuiteOptions): void {
  describe(`${options.name} transport conformance`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function listen(limits: BackpressureLimits = ROOMY): Promise<ListeningTransport> {
      const under = await options.create(limits);
      const server: ServerSide[] = [];
      const clients: TransportTestClient[] = [];
      const listener: TransportListener = {
        async authenticate(token): Promise<Principal> {
          if (!token.startsWith("valid-")) throw new ImError("unauthorized", "bad token");
          return { userId: token.slice("valid-".length), claims: {} };
        },
        open(connection): ConnectionHandler {
          let reportClose!: (close: { code: number; reason: string }) => void;
          const closed = new Promise<CloseInfo>((resolve) => {
            reportClose = resolve;
          });
          const side: ServerSide = { connection, frames: [], closes: [], closed };
          server.push(side);
          return {
            onFrame: (data) => side.frames.push(data),
            onClose: (code, reason) => {
              side.closes.push({ code, reason });
              reportClose({ code, reason });
            },
          };
        },
      };
      await under.transport.listen(listener);
      cleanups.push(async () => {
        for (const client of clients) client.terminate();
        await under.transport.close();
      });
      const connect = async (connectOptions?: { token?: string }) => {
        const client = await under.connect(connectOptions);
        clients.push(client);
        return client;
      };
      return {
        ...under,
        connect,
        server,
        async open(connectOptions) {
          const before = server.length;
          const client = await connect(connectOptions);
          // `eventually` retries while the value is false: the side is there once it returns.
          const side = (await eventually(() => server[before] ?? false, {
            message: "the listener to be handed the connection",
          })) as ServerSide;
          return { client, side };
        },
      };
    }

    const context: TransportSuiteContext = { listen };

    it("hands each connection to the listener once, with its own id, and a Bearer token's principal in info", async () => {
      const at = await listen();
      const anonymous = await at.open();
      const other = await at.open();
      const signedIn = await at.open({ token: tokenFor("alice") });
      expect(at.server, "one listener.open per connection").toHaveLength(3);
      const ids = at.server.map((side) => side.connection.id);
      expect(new Set(ids).size, `connection ids ${JSON.stringify(ids)} must be unique`).toBe(3);
      expect(anonymous.side.connection.info.principal, "no token, no principal").toBeUndefined();
      expect(other.side.connection.info.token).toBeUndefined();
      expect(signedIn.side.connection.info.principal?.userId, "the token's principal").toBe(
        "alice",
      );
      expect(signedIn.side.connection.info.token, "the raw token").toBe(tokenFor("alice"));
    });

    it("refuses a handshake whose token the listener rejects, and opens no connection", async () => {
      const at = await listen();
      await expect(at.connect({ token: "forged" }), "a refused handshake").rejects.toBeDefined();
      await at.open();
      expect(at.server, "only the good connection reached the listener").toHaveLength(1);
    });

    it("carries text frames both ways, in order and intact (unicode, 15 KB frames)", async () => {
      const at = await listen();
      const { client, side } = await at.open();
      const frames = Array.from({ length: 50 }, (_, i) =>
        JSON.stringify({ type: "t", i, text: i % 10 === 9 ? "長".repeat(5_000) : `é 😀 ${i}` }),
      );
      for (const frame of frames) client.send(frame);
      await eventually(() => expect(side.frames).toHaveLength(frames.length), {
        message: "the server to read every client frame",
      });
      expect(side.frames, "client to server, in order, byte for byte").toEqual(frames);
      for (const frame of frames) {
        expect(side.connection.send(frame), "send on an open connection").toBe(true);
      }
      await eventually(() => expect(client.received()).toHaveLength(frames.length), {
        message: "the client to read every server frame",
      });
      expect(client.received(), "server to client, in order, byte for byte").toEqual(frames);
    });

    it("bufferedAmount falls back to 0 once a reading client has every frame", async () => {
      const at = await listen();
      const { client, side } = await at.open();
      const frame = JSON.stringify({ type: "t", text: "x".repeat(32 * 1024) });
      for (let i = 0; i < 64; i++) side.connection.send(frame);
      expect(
        side.connection.bufferedAmount,
        "bufferedAmount is a byte count",
      ).toBeGreaterThanOrEqual(0);
      await eventually(() => expect(client.received()).toHaveLength(64), {
        message: "the client to read 64 frames",
      });
      await eventually(() => expect(side.connection.bufferedAmount).toBe(0), {
        message: "bufferedAmount to fall to 0",
      });
      if (side.connection.waitForDrain) {
        await expect(side.connection.waitForDrain(0), "room at once").resolves.toBe(true);
      }
    });

    it("a server close reaches the client with its code and reason; onClose runs once; send then refuses", async () => {
      const at = await listen();
      const { client, side } = await at.open();
      side.connection.close(4001, "bye now");
      side.connection.close(4002, "a second close is ignored");
      await expect(client.closed, "what the client saw").resolves.toEqual({
        code: 4001,
        reason: "bye now",
      });
      await eventually(() => expect(side.closes).toHaveLength(1), { message: "onClose" });
      expect(side.closes[0]?.code, "the code onClose reports").toBe(4001);
      expect(side.connection.send("{}"), "send after close").toBe(false);
      if (side.connection.waitForDrain) {
        await expect(side.connection.waitForDrain(0), "waitForDrain after close").resolves.toBe(
          false,
        );
      }
      client.close(4003);
      await settle(50);
      expect(side.closes, "onClose runs exactly once").toHaveLength(1);
    });

    it("a client close reaches onClose with the client's code, once", async () => {
      const at = await listen();
      const { client, side } = await at.open();
      client.close(4004);
      await eventually(() => expect(side.closes).toHaveLength(1), { message: "onClose" });
      expect(side.closes[0]?.code, "the client's close code").toBe(4004);
      await expect(client.closed.then((c) => c.code)).resolves.toBe(4004);
      expect(side.connection.send("{}"), "send after the client closed").toBe(false);
    });

    it("close(code) closes every open connection with that code, and is idempotent", async () => {
      const at = await listen();
      const one = await at.open();
      const two = await at.open({ token: tokenFor("bob") });
      await at.transport.close(4005);
      await at.transport.close(4005);
      for (const [name, peer] of [
        ["first", one],
        ["second", two],
      ] as const) {
        await expect(
          peer.client.closed.then((c) => c.code),
          `the ${name} client's close code`,
        ).resolves.toBe(4005);
        await eventually(() => expect(peer.side.closes).toHaveLength(1), {
          message: `onClose of the ${name} connection`,
        });
        expect(peer.side.closes[0]?.code).toBe(4005);
      }
    });

    describe("backpressure", () => {
      backpressureTests(async (limits): Promise<StalledPeer> => {
        const at = await listen(limits);
        const { client, side } = await at.open();
        client.pause();
        return {
          connection: side.connection,
          closed: side.closed.then((close) => close.code),
          resume: () => client.resume(),
          received: () => client.received(),
          // The test's transport closes after it (afterEach above).
          dispose: async () => client.terminate(),
        };
      });
    });

    options.additionalTests?.(context);
  });
}
