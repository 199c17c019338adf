/**
 * The setup the engine scenario files share (engine-input, engine-contact, engine-change and
 * people-presence scenarios): an engine over a memory transport on the storage a package
 * opens, logged-in clients, and the request/answer helpers that wait for the frame a `cid`
 * names. Each scenario file keeps only its own tests and the helpers no other file needs.
 */
import {
  createImServer,
  createMemoryTransport,
  type ErrorFrame,
  ImError,
  type ImLimits,
  type ImServer,
  type ImServerOptions,
  type MemoryClient,
  type SentFrame,
  type ServerFrame,
  type Storage,
} from "@lucky-im/core";
import { uniqueName } from "@lucky-im/core/testing";
import { afterEach } from "vitest";

/** A storage for one test, and how to release what it created (the engine closes the storage). */
export interface ScenarioStorage {
  storage: Storage;
  cleanup?(): Promise<void>;
}

/** An engine under test and how to log a client in. */
export interface ScenarioServer {
  im: ImServer;
  /** A new client authenticated as `userId` (the token is the user id), after its `ready`. */
  login(userId: string): Promise<MemoryClient>;
}

/** A logger that prints nothing. */
export const quiet = { info() {}, warn() {}, error() {} };

/**
 * Registers an `afterEach` that closes every engine of the test (newest first) and runs the
 * storages' cleanups, and returns `start`: an engine on a storage from `open`, with the
 * token-is-the-user authenticator, a quiet logger, 1,000 frames per window and `options` over
 * those defaults (`limits` merged into them).
 */
export function scenarioServers(
  open: () => Promise<ScenarioStorage>,
): (options?: Partial<ImServerOptions>) => Promise<ScenarioServer> {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return async (options = {}) => {
    const { storage, cleanup } = await open();
    const transport = createMemoryTransport();
    const limits: Partial<ImLimits> = { framesPerWindow: 1_000, ...options.limits };
    const im = createImServer({
      transport,
      storage,
      logger: quiet,
      authenticator: {
        async authenticate(token) {
          return { userId: token, claims: { sub: token } };
        },
      },
      ...options,
      limits,
    });
    await im.start();
    // close() closes the storage too; cleanup drops what the storage created.
    cleanups.push(async () => {
      await im.close();
      await cleanup?.();
    });
    return {
      im,
      async login(userId) {
        const client = await transport.connect();
        client.send({ type: "auth", token: userId });
        await client.next("ready");
        return client;
      },
    };
  };
}

/**
 * Sends `frame` with a fresh `cid` and waits for the frame of one of `answers` (or an `error`)
 * that carries it.
 */
export async function request<T extends ServerFrame>(
  client: MemoryClient,
  frame: Record<string, unknown>,
  answers: readonly string[],
): Promise<T | ErrorFrame> {
  const cid = uniqueName("cid");
  client.send({ ...frame, cid });
  return client.next<T | ErrorFrame>(
    (f) => (f.type === "error" || answers.includes(f.type)) && "cid" in f && f.cid === cid,
  );
}

/** Sends a text to a user (or `to` as given) and returns its `sent` or `error`. */
export function send(
  client: MemoryClient,
  to: string | { type: "user" | "group"; id: string },
  text = "hi",
  extra: Record<string, unknown> = {},
): Promise<SentFrame | ErrorFrame> {
  const target = typeof to === "string" ? { type: "user", id: to } : to;
  return request<SentFrame>(
    client,
    { type: "send", to: target, body: { type: "text", text }, ...extra },
    ["sent"],
  );
}

/** Like {@link send}, and rejects when the answer is an `error`. */
export async function sendText(
  client: MemoryClient,
  to: string | { type: "user" | "group"; id: string },
  text = "hi",
  extra: Record<string, unknown> = {},
): Promise<SentFrame> {
  const answer = await send(client, to, text, extra);
  if (answer.type === "error") throw new ImError("internal", `${answer.code}: ${answer.message}`);
  return answer;
}

/** Waits `ms` (only to let frames that must NOT come have their chance). */
export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
