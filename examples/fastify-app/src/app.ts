import type { AddressInfo } from "node:net";
import { ImError, type ImServer } from "@lucky-im/core";
import { imHttpPlugin } from "@lucky-im/http";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { type LuckyImServices, startLuckyIm } from "./lucky-im.js";
import { createSessionAuthenticator } from "./session-authenticator.js";
import { createSessionStore } from "./sessions.js";
import type { UserDirectory } from "./users.js";

/** What the app needs to start. */
export interface AppConfig extends LuckyImServices {
  /** The port to listen on (0 picks a free one). */
  port: number;
  /** The interface to bind. */
  host: string;
  /** How long a session lives, in ms. */
  sessionTtlMs: number;
  /** The app's users. */
  users: UserDirectory;
}

/** The running app. */
export interface RunningApp {
  readonly app: FastifyInstance;
  readonly im: ImServer;
  /** `http://host:port`. */
  readonly url: string;
  /** Closes Lucky IM (clients get 1001 and reconnect elsewhere), then Fastify. */
  close(): Promise<void>;
}

declare module "fastify" {
  interface FastifyRequest {
    /** The signed-in user (set by the app's `requireUser` hook). */
    userId?: string;
  }
}

/**
 * The existing Fastify app (login with sessions, a protected route), with
 * Lucky IM added by the lines marked "Lucky IM": the same server, the same
 * users, the same session tokens.
 */
export async function startApp(config: AppConfig): Promise<RunningApp> {
  const sessions = createSessionStore(config.sessionTtlMs);
  const app = Fastify({ logger: false });
  app.decorateRequest("userId", undefined);

  const unauthorized = (reply: FastifyReply, message: string) =>
    reply.code(401).send({ error: { code: "unauthorized", message } });

  // The app's own login: checks the password, opens a session, answers with its token.
  app.post<{ Body: { username?: unknown; password?: unknown } }>("/login", async (req, reply) => {
    const { username, password } = req.body ?? {};
    const user =
      typeof username === "string" && typeof password === "string"
        ? config.users.verify(username, password)
        : undefined;
    if (!user) return unauthorized(reply, "wrong username or password");
    return { userId: user.id, sessionToken: sessions.open(user.id) };
  });

  // The app's own authentication hook for its HTTP routes.
  const requireUser = async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization ?? "";
    const session = header.startsWith("Bearer ") ? sessions.get(header.slice(7)) : undefined;
    if (!session) return unauthorized(reply, "a valid session token is required");
    req.userId = session.userId;
  };

  app.get("/me", { preHandler: requireUser }, async (req) => {
    return config.users.byId(req.userId!) ?? { id: req.userId };
  });

  app.post("/logout", { preHandler: requireUser }, async (req, reply) => {
    sessions.end((req.headers.authorization ?? "").slice(7));
    // Lucky IM: the user's open WebSocket sessions end with the app's session.
    await im.kick(req.userId!);
    return reply.code(204).send();
  });

  // Lucky IM: on Fastify's own `http.Server`, authenticating the app's session tokens.
  // `app.server` exists before `listen`; the transport only takes upgrades for `/ws`.
  const im = await startLuckyIm(app.server, createSessionAuthenticator(sessions), config);

  // Lucky IM's HTTP API under /im (conversations, history, groups, health, /im/openapi.json)
  // for the app's signed-in users: the app's sessions, the app's user directory.
  await app.register(imHttpPlugin, {
    prefix: "/im",
    im,
    authenticate: async (request) => {
      const header = request.headers.authorization ?? "";
      const session = header.startsWith("Bearer ") ? sessions.get(header.slice(7)) : undefined;
      if (!session) throw new ImError("unauthorized", "a valid session token is required");
      return session.userId;
    },
    users: {
      getUser: async (id) => {
        const user = config.users.byId(id);
        return user && { userId: user.id, username: user.username };
      },
    },
    routes: { contacts: false, groupJoins: false, profiles: false, search: false },
  });

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await im.close();
    throw error;
  }
  const { port } = app.server.address() as AddressInfo;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  return {
    app,
    im,
    url: `http://${host}:${port}`,
    async close() {
      await im.close();
      await app.close();
    },
  };
}
