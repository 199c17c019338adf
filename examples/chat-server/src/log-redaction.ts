import type { FastifyRequest } from "fastify";

/** Query parameters whose value is a credential: `?access_token=`, `token=`, `refreshToken=` ... */
const SECRET_PARAM = /token|password|secret|passwd|jwe|^code$|^key$/i;

/**
 * The URL with the values of credential-looking query parameters replaced by `[redacted]`
 * (clients put tokens in URLs where headers are hard to set: WebSocket, `<img src>`).
 */
export function redactUrl(url: string): string {
  const at = url.indexOf("?");
  if (at < 0) return url;
  const query = url
    .slice(at + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq < 0) return pair;
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, " "));
      } catch {
        // A malformed escape: judge the raw name.
      }
      return SECRET_PARAM.test(name) ? `${pair.slice(0, eq)}=[redacted]` : pair;
    })
    .join("&");
  return `${url.slice(0, at)}?${query}`;
}

/** pino's `req` serializer of the request log: Fastify's fields, the URL redacted. */
export function redactedRequestSerializer(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket ? request.socket.remotePort : undefined,
  };
}
