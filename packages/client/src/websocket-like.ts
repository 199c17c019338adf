/**
 * The part of the WebSocket API the client uses. The browser's `WebSocket`
 * and the `ws` package's `WebSocket` both fit, so the client has no hard
 * dependency on `ws`.
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  // Method-style members: their parameters are checked bivariantly, so the
  // narrower event types of `ws` and of the DOM both fit.
  onopen: WebSocketHandler<unknown> | null;
  onmessage: WebSocketHandler<{ data: unknown }> | null;
  onclose: WebSocketHandler<{ code: number; reason: string }> | null;
  onerror: WebSocketHandler<unknown> | null;
}

/** An event handler of a {@link WebSocketLike}; bivariant in its parameter. */
export type WebSocketHandler<E> = { bivarianceHack(event: E): void }["bivarianceHack"];

/**
 * A WebSocket class: the browser's global `WebSocket`, or `WebSocket` from the
 * `ws` package in Node.js.
 */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
) => WebSocketLike;
