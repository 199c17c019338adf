/**
 * Clients of a multi-node cluster for the cluster fault test: a `@lucky-im/client`
 * whose WebSocket class picks the node itself, from a list of node URLs, and
 * moves on to the next one after every disconnect (what a load balancer does
 * for a client that reconnects to one address). The client's `connect({url})`
 * takes one fixed URL, so the choice is made where the socket is created; the
 * client instance (its pending sends, de-duplication and cursors) survives the
 * move. Every received text frame is also reported raw, before the client's
 * de-duplication, to count duplicates on the wire.
 */
import {
  createImClient,
  type DeviceInfo,
  type ImClient,
  type MessageFrame,
} from "@lucky-im/client";
import { WebSocket } from "ws";

/** What a cluster client reports, besides the client's own events. */
export interface ClusterClientHooks {
  /** A `message` frame reached the socket; `bySync`: while a `sync` of that socket was open. */
  raw?(messageId: string, bySync: boolean): void;
}

/** A client pinned to a node list. */
export interface ClusterClient {
  readonly client: ImClient;
  readonly userId: string;
  /** The node id of the last `ready` (undefined before the first). */
  readonly nodeId: string | undefined;
  /** Every `ready`: when, and on which node. */
  readonly readies: Array<{ at: number; nodeId: string }>;
  /** Every disconnect: when, the close code, and whether the client reconnects. */
  readonly disconnects: Array<{ at: number; code: number; willReconnect: boolean }>;
  /** Every `message` event (after the client's de-duplication), in order. */
  readonly messages: MessageFrame[];
  /** Every `error` event's code. */
  readonly errors: string[];
  /** Connects to the node at the starting index; resolves with the first `ready`. */
  connect(): Promise<void>;
}

/** Options of {@link createClusterClient}. */
export interface ClusterClientOptions {
  userId: string;
  /** The WebSocket URLs of the nodes, in rotation order (read on every connection attempt). */
  urls: () => readonly string[];
  /** The index of the first node to use. */
  start: number;
  /** A fresh access token for every connection attempt. */
  getToken: () => Promise<string>;
  device?: DeviceInfo;
  hooks?: ClusterClientHooks;
}

/** Creates a client that walks the node list on every disconnect. */
export function createClusterClient(options: ClusterClientOptions): ClusterClient {
  let index = options.start;
  const hooks = options.hooks ?? {};
  // Whether a `sync` on the current socket awaits its `synced`.
  let syncOpen = false;

  class RoutedWebSocket extends WebSocket {
    constructor(_url: string, protocols?: string | string[]) {
      const urls = options.urls();
      super(urls[index % urls.length]!, protocols);
      syncOpen = false;
      // Registered before the client sets `onmessage`: runs first, for every frame.
      this.on("message", (data, isBinary) => {
        if (isBinary) return;
        const text = data.toString();
        if (text.startsWith('{"type":"message"')) {
          const frame = JSON.parse(text) as { messageId?: string };
          if (frame.messageId) hooks.raw?.(frame.messageId, syncOpen);
        } else if (text.startsWith('{"type":"synced"') || text.startsWith('{"type":"ready"')) {
          syncOpen = false;
        }
      });
      const send = this.send.bind(this);
      this.send = ((data: unknown, ...rest: unknown[]) => {
        if (typeof data === "string" && data.startsWith('{"type":"sync"')) syncOpen = true;
        return (send as (...args: unknown[]) => void)(data, ...rest);
      }) as WebSocket["send"];
    }
  }

  const client = createImClient({
    WebSocket: RoutedWebSocket,
    reconnect: { initialDelayMs: 200, maxDelayMs: 2_000 },
    ...(options.device ? { device: options.device } : {}),
  });
  const state: ClusterClient = {
    client,
    userId: options.userId,
    nodeId: undefined,
    readies: [],
    disconnects: [],
    messages: [],
    errors: [],
    async connect() {
      // The URL is chosen by RoutedWebSocket; this one only names the service.
      await client.connect({ url: "ws://cluster.invalid/ws", getToken: options.getToken });
    },
  };
  client.on("ready", (frame) => {
    (state as { nodeId: string | undefined }).nodeId = frame.nodeId;
    state.readies.push({ at: Date.now(), nodeId: frame.nodeId });
  });
  client.on("message", (message) => state.messages.push(message));
  client.on("error", (error) => state.errors.push(error.code));
  client.on("disconnect", (info) => {
    state.disconnects.push({ at: Date.now(), code: info.code, willReconnect: info.willReconnect });
    // Move on: the node may be gone (a load balancer would pick another one too).
    index += 1;
  });
  return state;
}
