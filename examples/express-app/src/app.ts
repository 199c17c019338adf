import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createJwtAuthenticator } from "@lucky-im/auth";
import { ImError, type ImServer } from "@lucky-im/core";
import { createImExpressMiddleware, type ImExpressMiddleware } from "@lucky-im/http";
import express, { type NextFunction, type Request, type Response } from "express";
import { createAppTokens } from "./app-tokens.js";
import { type LuckyImServices, startLuckyIm } from "./lucky-im.js";
import type { UserDirectory } from "./users.js";

/** What the app needs to start. */
export interface AppConfig extends LuckyImServices {
  /** The port to listen on (0 picks a free one). */
  port: number;
  /** The interface to bind. */
  host: string;
  /** The secret of the app's own JWTs (at least 32 bytes). */
  jwtSecret: string;
  /** How long an access token lives, in seconds. */
  tokenTtlSeconds: number;
  /** The app's users. */
  users: UserDirectory;
}

/** The running app. */
export interface RunningApp {
  readonly server: Server;
  readonly im: ImServer;
  /** `http://host:port`. */
  readonly url: string;
  /** Closes Lucky IM (clients get 1001 and reconnect elsewhere), then the HTTP server. */
  close(): Promise<void>;
}

/**
 * The existing Express app (login, a protected route), with Lucky IM added by
 * the lines marked "Lucky IM": the same HTTP server, the same users, the same tokens.
 */
export async function startApp(config: AppConfig): Promise<RunningApp> {
  const tokens = createAppTokens(config.jwtSecret, config.tokenTtlSeconds);
  const app = express();
  app.use(express.json());

  // The app's own login: checks the password, answers with the app's own JWT.
  app.post("/login", async (req: Request, res: Response) => {
    const { username, password } = (req.body ?? {}) as { username?: unknown; password?: unknown };
    const user =
      typeof username === "string" && typeof password === "string"
        ? config.users.verify(username, password)
        : undefined;
    if (!user) {
      res
        .status(401)
        .json({ error: { code: "unauthorized", message: "wrong username or password" } });
      return;
    }
    res.json({ userId: user.id, accessToken: await tokens.issue(user) });
  });

  // The app's own authentication middleware for its HTTP routes.
  const requireUser = async (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? "";
    const userId = header.startsWith("Bearer ") ? await tokens.verify(header.slice(7)) : undefined;
    if (!userId) {
      res
        .status(401)
        .json({ error: { code: "unauthorized", message: "a valid Bearer token is required" } });
      return;
    }
    res.locals.userId = userId;
    next();
  };

  app.get("/me", requireUser, (_req: Request, res: Response) => {
    res.json(config.users.byId(res.locals.userId as string) ?? { id: res.locals.userId });
  });

  const server = createServer(app);

  // Lucky IM: WebSocket clients present the token from /login; the authenticator
  // checks it with the app's secret, issuer and audience (`sub` becomes the user id).
  const authenticator = createJwtAuthenticator({
    key: { secret: tokens.secret },
    issuer: tokens.issuer,
    audience: tokens.issuer,
  });
  const im = await startLuckyIm(server, authenticator, config);

  // Lucky IM's HTTP API under /im (conversations, history, groups, health, /im/openapi.json)
  // for the app's signed-in users: the app's tokens, the app's user directory.
  const api: ImExpressMiddleware = createImExpressMiddleware({
    prefix: "/im",
    im,
    authenticate: async (request) => {
      const header = request.headers.authorization ?? "";
      const userId = header.startsWith("Bearer ")
        ? await tokens.verify(header.slice(7))
        : undefined;
      if (!userId) throw new ImError("unauthorized", "a valid Bearer token is required");
      return userId;
    },
    users: {
      getUser: async (id) => {
        const user = config.users.byId(id);
        return user && { userId: user.id, username: user.username };
      },
    },
    routes: { contacts: false, groupJoins: false, profiles: false, search: false },
  });
  app.use("/im", api);

  try {
    await api.ready;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, config.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await im.close();
    await api.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  return {
    server,
    im,
    url: `http://${host}:${port}`,
    async close() {
      await im.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await api.close();
    },
  };
}
