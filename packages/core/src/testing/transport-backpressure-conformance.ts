import { afterEach, describe, expect, it } from "vitest";
import type { TransportConnection } from "../contracts/transport.js";
import { CloseCode } from "../protocol/close-codes.js";
import { eventually } from "./eventually.js";

/** The backpressure limits a {@link TransportBackpressureSuiteOptions.open} transport must use. */
export interface BackpressureLimits {
  /** Bytes queued above which the connection counts as slow. */
  highWaterMark: number;
  /** Bytes queued past which the transport refuses a frame and closes with 4008. */
  maxBufferedBytes: number;
  /** How long a connection may stay above `highWaterMark` before it is closed with 4008. */
  slowClientTimeoutMs: number;
}

/** One connection of the transport under test whose client end reads only when told to. */
export interface StalledPeer {
  /** The server side, as the engine sees it. */
  connection: TransportConnection;
  /** Resolves with the close code the transport reported to the engine (`onClose`). */
  closed: Promise<number>;
  /** The client starts reading, and reads everything from now on. */
  resume(): void;
  /** The frames the client has read so far, in order. */
  received(): readonly string[];
  /** Closes the client and releases what `open` made. */
  dispose(): Promise<void>;
}

/** Options of {@link transportBackpressureConformance}. */
export interface TransportBackpressureSuiteOptions {
  /** Names the transport in the suite's `describe` title. */
  name: string;
  /**
   * A transport with these limits and one open connection to it whose client
   * does not read until `resume()`.
   */
  open(limits: BackpressureLimits): Promise<StalledPeer>;
}

/** A 16 KiB frame, numbered so order can be checked. */
function frame(index: number): string {
  return JSON.stringify({
    type: "message",
    index,
    body: { type: "text", text: "x".repeat(16_384) },
  });
}

/** Lets the event loop run (socket writes, timers) between bursts. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The conformance suite of the backpressure part of the `Transport` contract:
 * a frame is never dropped while the connection stays open, `bufferedAmount`
 * and `waitForDrain` tell the engine when the client has read, and a client
 * that cannot keep up is closed with 4008 (`CloseCode.tooSlow`) rather than
 * silently losing frames. Every transport runs it (the in-memory one in core,
 * the WebSocket one over real sockets).
 *
 * A real socket absorbs some megabytes in kernel buffers before its transport
 * queues anything, so the suite sends until `bufferedAmount` grows, within a
 * bounded number of frames.
 *
 * @example
 * ```ts
 * transportBackpressureConformance({ name: "memory", open: async (limits) => { ... } });
 * ```
 */
export function transportBackpressureConformance(options: TransportBackpressureSuiteOptions): void {
  describe(`${options.name} transport backpressure conformance`, () => {
    backpressureTests((limits) => options.open(limits));
  });
}

/**
 * Registers the backpressure tests in the current `describe`, on peers from
 * `openPeer` (disposed after each test). `transportConformance` runs them too.
 * @internal
 */
export function backpressureTests(
  openPeer: (limits: BackpressureLimits) => Promise<StalledPeer>,
): void {
  const peers: StalledPeer[] = [];
  const open = async (limits: BackpressureLimits) => {
    const peer = await openPeer(limits);
    peers.push(peer);
    return peer;
  };
  afterEach(async () => {
    for (const peer of peers.splice(0)) await peer.dispose();
  });

  /** Sends numbered frames until `until` holds or `send` refuses one; at most `max` frames. */
  async function sendUntil(
    peer: StalledPeer,
    until: () => boolean,
    max = 4_000,
  ): Promise<{ sent: number; refused: boolean; maxBuffered: number }> {
    let sent = 0;
    let maxBuffered = 0;
    while (sent < max && !until()) {
      for (let i = 0; i < 8 && !until(); i++) {
        if (!peer.connection.send(frame(sent))) return { sent, refused: true, maxBuffered };
        sent++;
        maxBuffered = Math.max(maxBuffered, peer.connection.bufferedAmount);
      }
      await turn();
    }
    return { sent, refused: false, maxBuffered };
  }

  it("queues every frame for a client that does not read, and delivers all of them in order once it reads", async () => {
    const peer = await open({
      highWaterMark: 1024 * 1024,
      maxBufferedBytes: 256 * 1024 * 1024,
      slowClientTimeoutMs: 120_000,
    });
    const { sent, refused } = await sendUntil(
      peer,
      () => peer.connection.bufferedAmount >= 256 * 1024,
    );
    expect(refused).toBe(false);
    expect(peer.connection.bufferedAmount).toBeGreaterThanOrEqual(256 * 1024);

    let drained: boolean | undefined;
    const waiting = peer.connection.waitForDrain!(0).then((value) => {
      drained = value;
    });
    await turn();
    expect(drained).toBeUndefined();

    peer.resume();
    await waiting;
    expect(drained).toBe(true);
    await eventually(() => peer.received().length === sent, {
      message: `all ${sent} frames read`,
      timeoutMs: 20_000,
    });
    const indexes = peer.received().map((data) => (JSON.parse(data) as { index: number }).index);
    expect(indexes).toEqual(Array.from({ length: sent }, (_, i) => i));
    // Room at once when there is room.
    await expect(peer.connection.waitForDrain!(1024 * 1024)).resolves.toBe(true);
  });

  it("refuses the frame that would pass maxBufferedBytes, closes with 4008, and stays bounded", async () => {
    const limits = {
      highWaterMark: 64 * 1024,
      maxBufferedBytes: 512 * 1024,
      slowClientTimeoutMs: 120_000,
    };
    const peer = await open(limits);
    const first = await sendUntil(peer, () => peer.connection.bufferedAmount > 0);
    expect(first.refused).toBe(false);
    const waiting = peer.connection.waitForDrain!(0);
    const { refused, maxBuffered } = await sendUntil(peer, () => false);
    expect(refused).toBe(true);
    expect(Math.max(first.maxBuffered, maxBuffered)).toBeLessThanOrEqual(limits.maxBufferedBytes);
    await expect(peer.closed).resolves.toBe(CloseCode.tooSlow);
    // Nothing waits forever on a closed connection, and nothing more is sent.
    await expect(waiting).resolves.toBe(false);
    await expect(peer.connection.waitForDrain!(0)).resolves.toBe(false);
    expect(peer.connection.send(frame(-1))).toBe(false);
  });

  it("closes a client that stays over highWaterMark for slowClientTimeoutMs with 4008", async () => {
    const peer = await open({
      highWaterMark: 64 * 1024,
      maxBufferedBytes: 256 * 1024 * 1024,
      slowClientTimeoutMs: 300,
    });
    const { refused } = await sendUntil(peer, () => peer.connection.bufferedAmount > 64 * 1024);
    expect(refused).toBe(false);
    await expect(peer.closed).resolves.toBe(CloseCode.tooSlow);
  });
}
