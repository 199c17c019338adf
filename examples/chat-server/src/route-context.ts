import type { AuthService } from "@lucky-im/auth";
import type { ImServer, RateLimiter } from "@lucky-im/core";
import type { FastifyRequest } from "fastify";
import type { ChatServerConfig } from "./config.js";
import type { FileStore } from "./files/file-store.js";
import { httpError } from "./http-errors.js";
import type { ChatMetrics } from "./metrics.js";

/** What the route modules share. */
export interface RouteContext {
  config: ChatServerConfig;
  im: ImServer;
  auth: AuthService;
  files: FileStore;
  metrics: ChatMetrics;
  /** Limits registrations per client IP. */
  registerLimiter: RateLimiter;
  /** The page's folder. */
  publicDir: string;
  /** The single-file browser build of `@lucky-im/client`. */
  clientBundlePath: string;
  /** True while the server drains (readiness answers 503). */
  draining(): boolean;
  /** The user of the request's `Authorization: Bearer` token; rejects with `unauthorized`. */
  authenticate(request: FastifyRequest): Promise<string>;
}

/** Builds {@link RouteContext.authenticate} over the auth service's authenticator. */
export function bearerAuthenticator(
  auth: AuthService,
): (request: FastifyRequest) => Promise<string> {
  return async (request) => {
    const header = request.headers.authorization;
    const match = typeof header === "string" ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw httpError("unauthorized", "missing Authorization: Bearer <accessToken>");
    try {
      return (await auth.authenticator.authenticate(match[1]!)).userId;
    } catch (error) {
      if ((error as { code?: unknown }).code === "unavailable") throw error;
      throw httpError("unauthorized", "invalid or expired access token");
    }
  };
}
