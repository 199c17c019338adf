import type { FastifyHelmetOptions } from "@fastify/helmet";

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

/** Options of {@link securityHeaders}. */
export interface SecurityHeaderOptions {
  /** Origins allowed to call the API from another site (CORS): resources may then be read cross-origin. */
  allowedOrigins?: readonly string[];
  /** More origins images and media may load from (a bucket serving presigned downloads). */
  mediaOrigins?: readonly string[];
}

/**
 * @fastify/helmet's options: the CSP above, `X-Frame-Options: DENY` for older browsers,
 * `Referrer-Policy: no-referrer` (file URLs are capabilities: never leak them), `nosniff`.
 * HSTS is left to the TLS-terminating proxy (it knows whether there is TLS). Resources may
 * be read cross-origin only when CORS origins are configured.
 */
export function securityHeaders(options: SecurityHeaderOptions = {}): FastifyHelmetOptions {
  const media = options.mediaOrigins ?? [];
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: Object.fromEntries(
        Object.entries(CONTENT_SECURITY_POLICY).map(([name, values]) => [
          name,
          name === "img-src" || name === "media-src" ? [...values, ...media] : [...values],
        ]),
      ),
    },
    frameguard: { action: "deny" },
    referrerPolicy: { policy: "no-referrer" },
    strictTransportSecurity: false,
    crossOriginResourcePolicy: {
      policy: options.allowedOrigins?.length ? "cross-origin" : "same-origin",
    },
    crossOriginEmbedderPolicy: false,
  };
}
