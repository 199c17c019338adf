import {
  type Authenticator,
  createImServer,
  createMemoryTransport,
  ImError,
  type ImServer,
  type ImServerOptions,
  type MemoryClient,
  type MessageFrame,
  type Principal,
  type ReadyFrame,
  type SentFrame,
} from "../src/index.js";

/**
 * A test authenticator: `t:<userId>` or `t:<userId>:<deviceClass>`;
 * `exp:<userId>:<msFromNow>` expires; anything else is refused.
 */
export const testAuthenticator: Authenticator = {
  async authenticate(token: string): Promise<Principal> {
    const [kind, userId, extra] = token.split(":");
    if (kind === "t" && userId) {
      return { userId, claims: { sub: userId }, ...(extra ? { deviceClass: extra } : {}) };
    }
    if (kind === "exp" && userId && extra) {
      return { userId, claims: { sub: userId }, expiresAt: Date.now() + Number(extra) };
    }
    throw new ImError("unauthorized", "bad test token");
  },
};

export interface TestServer {
  im: ImServer;
  transport: ReturnType<typeof createMemoryTransport>;
  /** Connects and authenticates with a first-frame `auth`; resolves after `ready`. */
  login(userId: string, deviceClass?: string): Promise<MemoryClient>;
  close(): Promise<void>;
}

export async function startServer(options: Partial<ImServerOptions> = {}): Promise<TestServer> {
  const transport = createMemoryTransport();
  const im = createImServer({
    transport,
    authenticator: testAuthenticator,
    logger: { info() {}, warn() {}, error() {} },
    ...options,
  });
  await im.start();
  return {
    im,
    transport,
    async login(userId, deviceClass) {
      const client = await transport.connect();
      client.send({
        type: "auth",
        token: deviceClass ? `t:${userId}:${deviceClass}` : `t:${userId}`,
      });
      await client.next("ready");
      return client;
    },
    close: () => im.close(),
  };
}

/** Connects with a first-frame `auth` announcing `capabilities`; resolves with the client and its `ready`. */
export async function loginWithCapabilities(
  server: TestServer,
  userId: string,
  capabilities: string[] | undefined,
): Promise<{ client: MemoryClient; ready: ReadyFrame }> {
  const client = await server.transport.connect();
  client.send(
    capabilities === undefined
      ? { type: "auth", token: `t:${userId}` }
      : { type: "auth", token: `t:${userId}`, capabilities },
  );
  const ready = await client.next<ReadyFrame>("ready");
  return { client, ready };
}

let cidCounter = 0;

/** Sends a text message and waits for `sent` (or throws the `error`). */
export async function sendText(
  client: MemoryClient,
  to: { type: "user" | "group"; id: string },
  text: string,
  cid = `c${++cidCounter}`,
): Promise<SentFrame> {
  client.send({ type: "send", cid, to, body: { type: "text", text } });
  const answer = await client.next(
    (f) => (f.type === "sent" || f.type === "error") && "cid" in f && f.cid === cid,
  );
  if (answer.type === "error") throw new ImError(answer.code as "internal", answer.message);
  return answer as SentFrame;
}

/** Waits for a `message` frame with this text. */
export function nextMessage(client: MemoryClient, text?: string): Promise<MessageFrame> {
  return client.next<MessageFrame>(
    (f) =>
      f.type === "message" &&
      (text === undefined || (f.body.type === "text" && f.body.text === text)),
  );
}
