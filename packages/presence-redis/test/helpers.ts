import { type ChildProcess, spawn } from "node:child_process";
import { eventually } from "@lucky-im/core/testing";
import { Redis } from "ioredis";

/** Deletes every key under `prefix` (SCAN + DEL), so a test file leaves Redis as it found it. */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    await redis.quit();
  }
}

/** Keys under `prefix`, for assertions. */
export async function keysOf(redis: Redis, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    out.push(...keys);
  } while (cursor !== "0");
  return out.sort();
}

/**
 * Counts round trips a client makes: a command sent alone is one, and the
 * commands of one pipeline (which share a write stream) are one together.
 */
export function countRoundTrips(redis: Redis): {
  readonly trips: number;
  readonly commands: string[];
  stop(): void;
} {
  const original = redis.sendCommand.bind(redis);
  const streams = new Set<unknown>();
  const commands: string[] = [];
  let single = 0;
  redis.sendCommand = ((command: { name: string }, stream?: unknown, ...rest: unknown[]) => {
    commands.push(command.name);
    if (stream === undefined) single++;
    else streams.add(stream);
    return (original as (...args: unknown[]) => unknown)(command, stream, ...rest);
  }) as typeof redis.sendCommand;
  return {
    get trips() {
      return single + streams.size;
    },
    commands,
    stop() {
      redis.sendCommand = original;
    },
  };
}

/** A private redis-server (no persistence) that a test may kill and restart. */
export class PrivateRedis {
  #child: ChildProcess | undefined;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
      ],
      { stdio: "ignore" },
    );
    this.#child = child;
    const probe = new Redis(this.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on("error", () => {});
    try {
      await eventually(
        async () => {
          if (child.exitCode !== null)
            throw new Error(`redis-server exited with ${child.exitCode}`);
          try {
            if (probe.status !== "ready") await probe.connect();
            return (await probe.ping()) === "PONG";
          } catch {
            probe.disconnect();
            return false;
          }
        },
        { message: `redis-server on port ${this.port}`, timeoutMs: 20_000, intervalMs: 50 },
      );
    } finally {
      probe.disconnect();
    }
  }

  /** SIGKILL, as a crash: nothing is saved. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }
}
