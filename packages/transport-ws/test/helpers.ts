/** Shared helpers of the transport-ws integration tests: a fake engine and socket clients. */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { type Socket, connect as tcpConnect } from "node:net";
import {
  type ConnectionHandler,
  ImError,
  type Principal,
  type TransportConnection,
  type TransportListener,
} from "@lucky-im/core";
import { type ClientOptions, WebSocket } from "ws";

/** What the fake engine saw of one connection. */
export interface OpenedConnection {
  connection: TransportConnection;
  frames: string[];
  closed: { code: number; reason: string } | undefined;
  closeCount: number;
}

/** A TransportListener standing in for the engine: echoes frames, records closes. */
export interface FakeListener extends TransportListener {
  opened: OpenedConnection[];
}

/**
 * `authenticate`: "good-<userId>" is that user, anything else is rejected
 * with `ImError("unauthorized")`. `open`: echoes every frame back.
 */
export function fakeListener(authenticate?: (token: string) => Promise<Principal>): FakeListener {
  const opened: OpenedConnection[] = [];
  return {
    opened,
    authenticate:
      authenticate ??
      (async (token) => {
        if (token.startsWith("good-")) return { userId: token.slice(5), claims: {} };
        throw new ImError("unauthorized", "[lucky-im] [test] bad token");
      }),
    open(connection): ConnectionHandler {
      const record: OpenedConnection = { connection, frames: [], closed: undefined, closeCount: 0 };
      opened.push(record);
      return {
        onFrame(data) {
          record.frames.push(data);
          connection.send(data);
        },
        onClose(code, reason) {
          record.closed = { code, reason };
          record.closeCount++;
        },
      };
    },
  };
}

/** `ws://127.0.0.1:<port><path>` of a listening server. */
export function wsUrl(address: AddressInfo | string | null, path = "/ws"): string {
  if (address === null || typeof address === "string") throw new Error("not listening on TCP");
  return `ws://127.0.0.1:${address.port}${path}`;
}

/** A WebSocket client that remembers what it received and how it closed. */
export interface TestClient {
  ws: WebSocket;
  messages: string[];
  closed: Promise<{ code: number; reason: string }>;
  closedWith: { code: number; reason: string } | undefined;
}

/** Opens a client and resolves once open (rejects on an HTTP answer other than 101). */
export function openClient(
  url: string,
  protocols?: string | string[],
  options: ClientOptions = {},
): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, options);
    const client: TestClient = {
      ws,
      messages: [],
      closedWith: undefined,
      closed: new Promise((resolveClosed) => {
        ws.on("close", (code, reason) => {
          client.closedWith = { code, reason: reason.toString() };
          resolveClosed(client.closedWith);
        });
      }),
    };
    ws.on("message", (data) => client.messages.push(data.toString()));
    ws.once("open", () => resolve(client));
    ws.on("error", reject);
  });
}

/** Tries a WebSocket handshake that should fail; resolves with the HTTP status the server answered. */
export function rejectedStatus(
  url: string,
  protocols?: string | string[],
  options: ClientOptions = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, options);
    ws.once("open", () => {
      ws.terminate();
      reject(new Error("the handshake succeeded"));
    });
    ws.once("error", (error) => {
      const match = /Unexpected server response: (\d+)/.exec(error.message);
      if (match) resolve(Number(match[1]));
      else reject(error);
    });
  });
}

/** Closes a client and waits for the close to complete. */
export async function closeClient(client: TestClient): Promise<void> {
  if (client.ws.readyState === WebSocket.CLOSED) return;
  client.ws.close();
  const timer = setTimeout(() => client.ws.terminate(), 5_000);
  await client.closed;
  clearTimeout(timer);
}

/**
 * A raw TCP client that completes the WebSocket handshake by hand and then
 * never reads: the slowest possible reader.
 */
export async function stalledClient(port: number, path = "/ws"): Promise<Socket> {
  const socket = tcpConnect(port, "127.0.0.1");
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const key = randomBytes(16).toString("base64");
  socket.write(
    [
      `GET ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      "Upgrade: websocket",
      "Connection: Upgrade",
      `Sec-WebSocket-Key: ${key}`,
      "Sec-WebSocket-Version: 13",
      "",
      "",
    ].join("\r\n"),
  );
  let head = "";
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      socket.pause();
      if (head.startsWith("HTTP/1.1 101")) resolve();
      else reject(new Error(`handshake failed: ${head.split("\r\n")[0]}`));
    };
    socket.on("data", onData);
  });
  return socket;
}
