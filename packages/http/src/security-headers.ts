import type { FastifyHelmetOptions } from "@fastify/helmet";
import type { ChatServerConfig } from "./config.js";

/**
 * The page's Content-Security-Policy: scripts, styles and connections from this origin only
 * (the WebSocket included: CSP 3's `'self'` matches `ws:`/`wss:` of the same host), media
 * from this origin and `blob:`/`data:`, no plugins, no `<base>`, and no framing.
 */
export const CONTENT_SECURITY_POLICY: Readonly<Record<string, readonly string[]>> = {
  "default-src": ["'self'"],
  "script-src": ["'self'"],
  "style-src": ["'self'"],
  "img-src": ["'self'", "data:", "blob:"],
  "media-src": ["'self'", "blob:"],
  "connect-src": ["'self'"],
  "font-src": ["'self'"],
  "object-src": ["'none'"],
  "base-uri": ["'none'"],
  "form-action": ["'self'"],
  "frame-ancestors": ["'none'"],
};

/**
 * @fastify/helmet's options: the CSP above, `X-Frame-Options: DENY` for older browsers,
 * `Referrer-Policy: no-referrer` (file URLs are capabilities: never leak them), `nosniff`.
 * HSTS is left to the TLS-terminating proxy (it knows whether there is TLS). Resources may
 * be read cross-origin only when CORS origins are configured.
 */
export function securityHeaders(config: ChatServerConfig): FastifyHelmetOptions {
  const bucket = bucketOrigins(config);
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: Object.fromEntries(
        Object.entries(CONTENT_SECURITY_POLICY).map(([name, values]) => [
          name,
          name === "img-src" || name === "media-src" ? [...values, ...bucket] : [...values],
        ]),
      ),
    },
    frameguard: { action: "deny" },
    referrerPolicy: { policy: "no-referrer" },
    strictTransportSecurity: false,
    crossOriginResourcePolicy: { policy: config.allowedOrigins ? "cross-origin" : "same-origin" },
    crossOriginEmbedderPolicy: false,
  };
}

/**
 * Where redirected downloads come from (S3 with `LUCKY_IM_FILES_REDIRECT_SEC` above 0): the page's
 * `<img>`, `<audio>` and `<video>` load from the bucket's origin, in path or virtual-host style.
 */
export function bucketOrigins(config: ChatServerConfig): string[] {
  if (!config.s3Bucket || config.filesRedirectSec === 0) return [];
  if (!config.s3Endpoint) return ["https://*.amazonaws.com"];
  const url = new URL(config.s3Endpoint);
  return [url.origin, `${url.protocol}//${config.s3Bucket}.${url.host}`];
}
