import type { RateLimiter } from "@lucky-im/core";
import type { FastifyRequest } from "fastify";
import type { ChatServerConfig } from "./config.js";
import type { ChatPush } from "./push.js";

/**
 * What the example's own routes share (push devices and the page); the HTTP API itself comes
 * from `@lucky-im/http`.
 */
export interface RouteContext {
  config: ChatServerConfig;
  /** Push notifications: the device registry and what is on. */
  push: ChatPush;
  /** Limits push device registrations per user. */
  pushDeviceLimiter: RateLimiter;
  /** The page's folder. */
  publicDir: string;
  /** The single-file browser build of `@lucky-im/client`. */
  clientBundlePath: string;
  /** The user of the request's `Authorization: Bearer` token; rejects with `unauthorized`. */
  authenticate(request: FastifyRequest): Promise<string>;
}
