import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatServer } from "../src/chat-server.js";
import { api, registerUser, startTestServer, type TestUser, WsProbe } from "./helpers.js";

/**
 * Issue 13, item 1: a flood of failed logins (unknown users: each still costs a
 * password hash) must not slow down everything else. Latencies are compared
 * with the same requests measured unloaded in this test, never with a fixed time.
 */

const FLOODER = fileURLToPath(new URL("./login-flooder.mjs", import.meta.url));

let server: ChatServer;
let stop: () => Promise<void>;
let user: TestUser;

beforeAll(async () => {
  ({ server, stop } = await startTestServer({
    // Cheaper than production (2^17), still far costlier than anything else here.
    passwordHashLogN: 14,
    // A pool much smaller than the flood, so that the flood overflows it.
    hashConcurrency: 1,
    hashQueue: 2,
    hashPerIp: 1,
    trustProxy: true,
  }));
  user = await registerUser(server.url, "flood");
});

afterAll(async () => {
  await stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The median of `runs` sequential runs of `probe`, in ms. */
async function median(probe: () => Promise<void>, runs = 12): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await probe();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const probes = {
  usersMe: async () => {
    const answer = await api(server.url, "GET", "/users/me", { token: user.accessToken });
    expect(answer.status).toBe(200);
  },
  staticPage: async () => {
    const answer = await api(server.url, "GET", "/");
    expect(answer.status).toBe(200);
  },
  wsAuth: async () => {
    const probe = await WsProbe.connect(server.url, user.accessToken, "frame");
    probe.close();
  },
};

async function measure(): Promise<Record<keyof typeof probes, number>> {
  return {
    usersMe: await median(probes.usersMe),
    staticPage: await median(probes.staticPage),
    wsAuth: await median(probes.wsAuth),
  };
}

describe("a login flood", () => {
  it("is refused beyond the hash pool (429/503 with Retry-After) while other requests stay fast and memory stays bounded", async () => {
    const unloaded = await measure();
    const rssBefore = process.memoryUsage().rss;

    let peakRss = rssBefore;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 20);
    // 24 attackers for 6 s, from another process.
    const flooder = spawn(process.execPath, [FLOODER, server.url, "24", "6000"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    flooder.stdout.on("data", (chunk) => {
      output += String(chunk);
    });
    const exited = once(flooder, "exit");
    let loaded: Awaited<ReturnType<typeof measure>>;
    try {
      await sleep(500);
      loaded = await measure();
      await exited;
    } finally {
      clearInterval(sampler);
      flooder.kill();
    }
    for (const key of Object.keys(probes) as Array<keyof typeof probes>) {
      // Generous: 5x the unloaded median plus 50 ms for a busy shared machine.
      expect(
        loaded[key],
        `${key}: ${loaded[key].toFixed(1)} ms loaded vs ${unloaded[key].toFixed(1)} ms`,
      ).toBeLessThan(unloaded[key] * 5 + 50);
    }
    const { statuses, refusals } = JSON.parse(output) as {
      statuses: Record<string, number>;
      refusals: Array<{ status: number; retryAfter: string | null; body: unknown }>;
    };

    // The pool overflowed: unknown users were refused with a limit, not queued without bound.
    expect(statuses["401"] ?? 0).toBeGreaterThan(0);
    expect(statuses["429"] ?? 0).toBeGreaterThan(0);
    expect(Object.keys(statuses).every((status) => ["401", "429", "503"].includes(status))).toBe(
      true,
    );
    for (const refusal of refusals) {
      expect(Number(refusal.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(refusal.body).toEqual({
        error: {
          code: refusal.status === 429 ? "rate_limited" : "unavailable",
          message: expect.any(String),
        },
      });
    }
    // One hash at a time at 16 MiB: memory grows by far less than the 24 floods would take.
    expect(peakRss - rssBefore).toBeLessThan(200 * 1024 * 1024);

    // And the user still logs in once the flood is over.
    const login = await api(server.url, "POST", "/auth/login", {
      body: { username: user.username, password: user.password },
    });
    expect(login.status).toBe(200);
  }, 60_000);
});
