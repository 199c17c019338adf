import { type IncomingMessage, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";

/** Device hints longer than this are ignored rather than stored. */
const MAX_HINT_LENGTH = 128;

/** The path of a request URL, without its query. */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

/** `deviceId` and `deviceClass` from the query string of the upgrade URL. */
export function deviceHints(url: string | undefined): { deviceId?: string; deviceClass?: string } {
  const hints: { deviceId?: string; deviceClass?: string } = {};
  const query = url === undefined ? -1 : url.indexOf("?");
  if (url === undefined || query === -1) return hints;
  const params = new URLSearchParams(url.slice(query + 1));
  const deviceId = params.get("deviceId");
  const deviceClass = params.get("deviceClass");
  if (deviceId && deviceId.length <= MAX_HINT_LENGTH) hints.deviceId = deviceId;
  if (deviceClass && deviceClass.length <= MAX_HINT_LENGTH) hints.deviceClass = deviceClass;
  return hints;
}

/**
 * The token of an `Authorization: Bearer <token>` header: `undefined` when
 * there is no header, `null` when there is one but it is not a usable Bearer.
 */
export function bearerToken(header: string | undefined): string | undefined | null {
  if (header === undefined) return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match ? (match[1] ?? null) : null;
}

/**
 * The client address: the socket peer, or, when the proxy in front is trusted, the last
 * `X-Forwarded-For` hop: the one that proxy appended. Earlier hops come from the client and
 * could be forged to dodge per-address limits.
 */
export function remoteAddressOf(req: IncomingMessage, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const header = req.headers["x-forwarded-for"];
    const value = Array.isArray(header) ? header.join(",") : header;
    const last = value?.split(",").at(-1)?.trim();
    if (last) return last;
  }
  return req.socket.remoteAddress;
}

/**
 * Answers an upgrade request with a plain HTTP error and closes the socket:
 * no WebSocket is opened.
 */
export function rejectUpgrade(
  socket: Duplex,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${message}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}`,
    "Connection: close",
    "Content-Type: text/plain; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  // Destroy once written: the peer may never close its side.
  socket.once("finish", () => socket.destroy());
  socket.end(`${lines.join("\r\n")}\r\n\r\n${body}`);
}
