import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "ws";
import { type ChatServer, createChatServer } from "../src/chat-server.js";
import { type ChatServerConfig, loadConfig } from "../src/config.js";

/** A parsed frame from the server. */
export type Frame = { type: string } & Record<string, unknown>;

/** An HTTP answer: status, headers, parsed JSON (or text) and the raw bytes. */
export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  raw: Buffer;
}

/** Calls the HTTP API: JSON bodies by default, raw bytes with `raw`. */
// biome-ignore lint/suspicious/noExplicitAny: test answers are read field by field, like JSON.parse's.
export async function api<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; raw?: Buffer; contentType?: string } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  let body: BodyInit | undefined;
  if (options.raw !== undefined) {
    body = new Uint8Array(options.raw);
    if (options.contentType) headers["content-type"] = options.contentType;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] = options.contentType ?? "application/json";
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const raw = Buffer.from(await response.arrayBuffer());
  const text = raw.toString("utf8");
  let parsed: unknown = text;
  if ((response.headers.get("content-type") ?? "").includes("json") && text) {
    parsed = JSON.parse(text);
  }
  return { status: response.status, headers: response.headers, body: parsed as T, raw };
}

/** A logged-in user. */
export interface TestUser {
  username: string;
  password: string;
  userId: string;
  accessToken: string;
  refreshToken: string;
}

let counter = 0;

/** Registers a fresh user (unique name) and logs it in. */
export async function registerUser(baseUrl: string, prefix = "user"): Promise<TestUser> {
  counter += 1;
  const username = `${prefix}${counter}_${Math.random().toString(36).slice(2, 8)}`;
  const password = "correct horse battery";
  const registered = await api(baseUrl, "POST", "/auth/register", { body: { username, password } });
  if (registered.status !== 201)
    throw new Error(`register: ${registered.status} ${JSON.stringify(registered.body)}`);
  const login = await api(baseUrl, "POST", "/auth/login", { body: { username, password } });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
  return { username, password, ...login.body };
}

/** A WebSocket speaking the protocol by hand, recording every frame. */
export class WsProbe {
  readonly frames: Frame[] = [];
  closeCode: number | undefined;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      this.frames.push(JSON.parse(String(data)) as Frame);
      for (const wake of this.waiters) wake();
    });
    socket.on("close", (code) => {
      this.closeCode = code;
      for (const wake of this.waiters) wake();
    });
  }

  /**
   * Opens `/ws` and authenticates with the `Authorization` header
   * (`via: "header"`) or an `auth` frame (`via: "frame"`); resolves after `ready`.
   */
  static async connect(
    baseUrl: string,
    token: string,
    via: "header" | "frame" = "header",
  ): Promise<WsProbe> {
    const url = `${baseUrl.replace(/^http/, "ws")}/ws`;
    const socket = new WebSocket(
      url,
      "lucky-im.v1",
      via === "header" ? { headers: { authorization: `Bearer ${token}` } } : {},
    );
    const probe = new WsProbe(socket);
    await once(socket, "open");
    if (via === "frame") probe.send({ type: "auth", token });
    await probe.next((f) => f.type === "ready");
    return probe;
  }

  send(frame: Record<string, unknown>): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** The first recorded frame matching `match` (from `from` on); waits for it up to `timeoutMs`. */
  async next(match: (frame: Frame) => boolean, timeoutMs = 15_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (this.closeCode !== undefined)
        throw new Error(`socket closed (${this.closeCode}) while waiting`);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.map((f) => f.type))}`,
        );
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  /** Waits until the server closes the socket; resolves with the close code. */
  async closed(timeoutMs = 15_000): Promise<number> {
    if (this.closeCode !== undefined) return this.closeCode;
    const [code] = (await Promise.race([
      once(this.socket, "close"),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error("socket not closed in time")), timeoutMs).unref(),
      ),
    ])) as [number];
    return code;
  }

  close(): void {
    if (
      this.socket.readyState === WebSocket.OPEN ||
      this.socket.readyState === WebSocket.CONNECTING
    ) {
      this.socket.close(1000);
    }
  }
}

/** The `/metrics` bearer token of tests that scrape (pass `metricsToken: METRICS_TOKEN`). */
export const METRICS_TOKEN = "a-test-metrics-token";

/** Config for in-process tests: embedded, port 0, loopback, cheap password hashes, a temp files dir. */
export async function testConfig(
  overrides: Partial<ChatServerConfig> = {},
): Promise<ChatServerConfig> {
  const filesDir = await mkdtemp(join(tmpdir(), "lucky-im-files-"));
  return {
    // In memory: in-process tests must not share a database file.
    ...loadConfig({ LUCKY_IM_STORE: "memory" }),
    port: 0,
    host: "127.0.0.1",
    filesDir,
    passwordHashLogN: 12,
    // Every test user logs in from 127.0.0.1.
    loginLimitPerIp: 100_000,
    hashPerIp: 100_000,
    hashQueue: 100_000,
    registerLimitPerHour: 100_000,
    logLevel: "silent",
    jwtSecret: "a test secret of at least thirty-two bytes!",
    ...overrides,
  };
}

/** Starts an in-process server; `stop` closes it and removes its files dir. */
export async function startTestServer(
  overrides: Partial<ChatServerConfig> = {},
): Promise<{ server: ChatServer; config: ChatServerConfig; stop(): Promise<void> }> {
  const config = await testConfig(overrides);
  const server = await createChatServer(config);
  return {
    server,
    config,
    async stop() {
      await server.close();
      await rm(config.filesDir, { recursive: true, force: true });
    },
  };
}
