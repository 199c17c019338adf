/**
 * The part of the WebSocket API the client uses. The browser's `WebSocket`
 * and the `ws` package's `WebSocket` both fit, so the client has no hard
 * dependency on `ws`.
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Sends a text frame. */
  send(data: string): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  // Method-style members: their parameters are checked bivariantly, so the
  // narrower event types of `ws` and of the DOM both fit.
  /** Called once the connection is open. */
  onopen: WebSocketHandler<unknown> | null;
  /** Called with every received frame. */
  onmessage: WebSocketHandler<{ data: unknown }> | null;
  /** Called once with the close code and reason. */
  onclose: WebSocketHandler<{ code: number; reason: string }> | null;
  /** Called on a connection error (a close follows). */
  onerror: WebSocketHandler<unknown> | null;
}

/** An event handler of a {@link WebSocketLike}; bivariant in its parameter. */
export type WebSocketHandler<E> = {
  /** Receives the event; a method so that TypeScript checks its parameter bivariantly. */
  bivarianceHack(event: E): void;
}["bivarianceHack"];

/**
 * A WebSocket class: the browser's global `WebSocket`, or `WebSocket` from the
 * `ws` package in Node.js.
 */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
) => WebSocketLike;
