import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../page-context.js";

/** What `GET /page-settings` answers: the server settings the web page adapts to. */
export interface PageSettings {
  /**
   * `link`: a file's URL (`/files/:fileId`) works as is in `<img>`, `<audio>` and `<video>`;
   * `members`: files of a conversation are loaded through a signed URL from
   * `GET /files/:fileId/url` (the tags carry no bearer token).
   */
  fileAccess: "link" | "members";
}

/** `GET /page-settings`: public, read once by the page when it signs in. */
export function registerPageSettingsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const settings: PageSettings = { fileAccess: ctx.config.fileAccess };
  app.get("/page-settings", async (_request, reply) => {
    reply.header("cache-control", "no-cache");
    return settings;
  });
}
