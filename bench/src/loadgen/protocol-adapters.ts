/**
 * One thin adapter per kind of server over the same `ws` client driver: it
 * builds the connection URL and headers and translates frames, so every target
 * is driven by the same clients and the same scenario code.
 */

/** A decoded server frame (Lucky IM frame shape; the baselines use it too). */
export interface Frame {
  type: string;
  [field: string]: unknown;
}

/** What the driver needs to know about one kind of server. */
export interface ProtocolAdapter {
  /** Whether the client acks pushed messages (Lucky IM re-pushes un-acked ones). */
  readonly acks: boolean;
  /** Whether several conversations' acks go in one `acks` frame (Lucky IM's `ack-batch`). */
  readonly ackBatch: boolean;
  url(base: string, userId: string): string;
  headers(token: string | undefined): Record<string, string>;
  /** WebSocket sub-protocols to offer. */
  readonly protocols: string[];
  /** Frames the client sends right after the socket opens (Socket.IO CONNECT waits for OPEN). */
  onOpen(userId: string, token: string | undefined): string[];
  /**
   * Decodes one incoming text frame. `reply` carries transport-level answers
   * (Engine.IO pong, Socket.IO CONNECT) the driver must send back.
   */
  decode(data: string, userId: string): { frame?: Frame; reply?: string };
  encode(frame: Frame): string;
}

/**
 * The capabilities the official client (@lucky-im/client) announces by default, so the load is
 * what a real client puts on the server (docs/protocol.md §1.8).
 */
export const OFFICIAL_CLIENT_CAPABILITIES = ["receipt-batch", "ack-batch", "sent-batch"];

/**
 * Lucky IM as the official client speaks it: the token in a first `auth` frame announcing the
 * client's capabilities (batched receipts and acks, held `sent` answers), JSON frames.
 */
export const luckyAdapter: ProtocolAdapter = {
  acks: true,
  ackBatch: true,
  url: (base) => `${base}/ws`,
  headers: () => ({}),
  protocols: ["lucky-im.v1"],
  onOpen: (_userId, token) => [
    JSON.stringify({ type: "auth", token, capabilities: OFFICIAL_CLIENT_CAPABILITIES }),
  ],
  decode: (data) => ({ frame: JSON.parse(data) as Frame }),
  encode: (frame) => JSON.stringify(frame),
};

/**
 * Lucky IM's protocol v1 as first fixed: Bearer token at the upgrade (no capabilities), one
 * `sent` and one `receipt` frame each, one `ack` per conversation.
 */
export const luckyV1Adapter: ProtocolAdapter = {
  acks: true,
  ackBatch: false,
  url: (base) => `${base}/ws`,
  headers: (token): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {}),
  protocols: ["lucky-im.v1"],
  onOpen: () => [],
  decode: (data) => ({ frame: JSON.parse(data) as Frame }),
  encode: (frame) => JSON.stringify(frame),
};

/** The plain ws relay: the same JSON frames, user id in the query, no acks. */
export const wsRelayAdapter: ProtocolAdapter = {
  acks: false,
  ackBatch: false,
  url: (base, userId) => `${base}/ws?user=${encodeURIComponent(userId)}`,
  headers: () => ({}),
  protocols: [],
  onOpen: () => [],
  decode: (data) => ({ frame: JSON.parse(data) as Frame }),
  encode: (frame) => JSON.stringify(frame),
};

/**
 * Socket.IO v5 over Engine.IO v4, websocket transport only, written by hand:
 * `0{...}` OPEN -> we send `40{"user":...}` (CONNECT with auth); `2` PING -> `3`;
 * `42["event",payload]` EVENT. The payload is the same object a Lucky IM frame
 * would be, minus `type`, which is the event name.
 */
export const socketIoAdapter: ProtocolAdapter = {
  acks: false,
  ackBatch: false,
  url: (base) => `${base}/socket.io/?EIO=4&transport=websocket`,
  headers: () => ({}),
  protocols: [],
  onOpen: () => [],
  decode(data, userId) {
    const packet = data.charCodeAt(0);
    if (packet === 0x32 /* "2" ping */) return { reply: "3" };
    if (packet === 0x30 /* "0" open */) return { reply: `40${JSON.stringify({ user: userId })}` };
    if (packet === 0x34 /* "4" message */ && data.charCodeAt(1) === 0x32 /* "2" event */) {
      const [event, payload] = JSON.parse(data.slice(2)) as [string, Record<string, unknown>];
      return { frame: { ...payload, type: event } as Frame };
    }
    return {};
  },
  encode(frame) {
    const { type, ...payload } = frame;
    return `42${JSON.stringify([type, payload])}`;
  },
};

/** Where a Socket.IO packet's JSON starts: after the type digits and an optional ack id. */
function jsonStart(data: string): { ackId: string; at: number } {
  let at = 2;
  while (at < data.length && data.charCodeAt(at) >= 0x30 && data.charCodeAt(at) <= 0x39) at++;
  return { ackId: data.slice(2, at), at };
}

/** Ack ids of this worker's `send` emits (unique per socket is enough; one counter serves all). */
let nextAckId = 0;

/**
 * Socket.IO with acknowledgements both ways: `send` is emitted with an ack id
 * (`42<id>["send",{...}]`) and the server's ack (`43<id>[{...}]`) is the
 * `sent` answer; every pushed `message` carries an ack id the client acks at
 * once (`43<id>[]`), as a client would after handling it.
 */
export const socketIoAcksAdapter: ProtocolAdapter = {
  acks: false,
  ackBatch: false,
  url: socketIoAdapter.url,
  headers: () => ({}),
  protocols: [],
  onOpen: () => [],
  decode(data, userId) {
    const packet = data.charCodeAt(0);
    if (packet !== 0x34 /* "4" message */) return socketIoAdapter.decode(data, userId);
    const kind = data.charCodeAt(1);
    if (kind === 0x32 /* "2" event */) {
      const { ackId, at } = jsonStart(data);
      const [event, payload] = JSON.parse(data.slice(at)) as [string, Record<string, unknown>];
      const frame = { ...payload, type: event } as Frame;
      return ackId === "" ? { frame } : { frame, reply: `43${ackId}[]` };
    }
    if (kind === 0x33 /* "3" ack */) {
      const [answer] = JSON.parse(data.slice(jsonStart(data).at)) as [Frame];
      return { frame: answer };
    }
    return {};
  },
  encode(frame) {
    const { type, ...payload } = frame;
    const ackId = type === "send" ? String(nextAckId++) : "";
    return `42${ackId}${JSON.stringify([type, payload])}`;
  },
};

/** The wire protocols the load generator speaks. */
export type ProtocolName = "lucky" | "lucky-v1" | "ws" | "socketio" | "socketio-acks";

/** The adapter of a protocol name. */
export function adapterOf(protocol: ProtocolName): ProtocolAdapter {
  switch (protocol) {
    case "lucky":
      return luckyAdapter;
    case "lucky-v1":
      return luckyV1Adapter;
    case "ws":
      return wsRelayAdapter;
    case "socketio":
      return socketIoAdapter;
    case "socketio-acks":
      return socketIoAcksAdapter;
  }
}
