/**
 * A `ws` WebSocket class that reports every text frame a socket receives and
 * sends, before the client sees it: the raw view of the wire, to count
 * duplicates the client's de-duplication hides.
 */
import type { WebSocketConstructor } from "@lucky-im/client";
import { WebSocket } from "ws";

/** What a tap is told. */
export interface WebSocketTap {
  /** A text frame the socket received (before the client handled it). */
  received(socket: WebSocket, text: string): void;
  /** A text frame the client sent on the socket. */
  sent?(socket: WebSocket, text: string): void;
}

/** A tapped WebSocket class, plus the sockets it opened (to cut them in a test). */
export interface TappedWebSocketClass {
  WebSocket: WebSocketConstructor;
  /** Every socket opened so far, oldest first. */
  sockets: WebSocket[];
}

/** Creates a WebSocket class whose sockets report their frames to `tap`. */
export function tappedWebSocket(tap: WebSocketTap): TappedWebSocketClass {
  const sockets: WebSocket[] = [];
  class TappedWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
      // Registered before the client sets `onmessage`: runs first, for every frame.
      this.on("message", (data, isBinary) => {
        if (!isBinary) tap.received(this, data.toString());
      });
      const send = this.send.bind(this);
      const onSent = tap.sent;
      if (onSent) {
        this.send = ((data: unknown, ...rest: unknown[]) => {
          if (typeof data === "string") onSent(this, data);
          return (send as (...args: unknown[]) => void)(data, ...rest);
        }) as WebSocket["send"];
      }
    }
  }
  return { WebSocket: TappedWebSocket, sockets };
}
