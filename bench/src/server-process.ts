/**
 * The server under test as a separate OS process: spawn, wait until it
 * answers HTTP, sample its CPU and RSS from /proc, read its event-loop lag
 * from `/metrics`, stop it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { callgrindDir, instructionsSinceLastDump, underCallgrind } from "./callgrind.js";

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;

export interface ProcSample {
  /** user + system CPU seconds since the process started. */
  cpuSeconds: number;
  rssBytes: number;
  hwmBytes: number;
}

/** The command name (`comm`) and user + system CPU seconds of a /proc/<pid>/stat line. */
export function parseProcStat(stat: string): { comm: string; cpuSeconds: number } {
  // Fields after the command name (which may hold spaces) start at field 3.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return {
    comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
  };
}

/** Reads /proc/<pid>/stat (utime, stime) and /proc/<pid>/status (VmRSS, VmHWM). */
export async function sampleProc(pid: number): Promise<ProcSample> {
  const { cpuSeconds } = parseProcStat(await readFile(`/proc/${pid}/stat`, "utf8"));
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0) * 1024;
  return {
    cpuSeconds,
    rssBytes: kb("VmRSS"),
    hwmBytes: kb("VmHWM"),
  };
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  readonly pid: number;
  readonly port: number;
  readonly httpBase: string;
  sample(): Promise<ProcSample>;
  /**
   * Instructions the server executed since the previous call (LUCKY_IM_BENCH_CALLGRIND only;
   * see callgrind.ts); undefined when the server does not run under callgrind.
   */
  instructionsSinceLastCall?(): Promise<number>;
  /** p99 event-loop delay in ms since the previous call (the server resets its histogram per scrape). */
  /**
   * The server's event-loop delay since the last call (which resets it), ms above the 10 ms
   * timer: p99 and max, from `/metrics`; undefined when the server did not answer.
   */
  loopLag(): Promise<LoopLag | undefined>;
  stop(): Promise<void>;
}

/** Event-loop delay over an interval, ms above the 10 ms sampling timer. */
export interface LoopLag {
  p99Ms: number;
  maxMs: number;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  port: number;
  logFile: string;
  readyTimeoutMs: number;
}

/**
 * The chat server serves `/metrics` only with a token: the bench gives its servers this one
 * (the baselines ignore it).
 */
const METRICS_TOKEN = randomBytes(18).toString("base64url");

export async function startServer(options: SpawnOptions): Promise<ServerProcess> {
  const log = createWriteStream(options.logFile);
  // For profiling the server alone, e.g. LUCKY_IM_BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=.out/prof".
  const nodeArgs = (process.env.LUCKY_IM_BENCH_SERVER_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const cgDir = callgrindDir();
  const launch = cgDir
    ? underCallgrind(cgDir, options.command, [...nodeArgs, ...options.args])
    : { command: options.command, args: [...nodeArgs, ...options.args] };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    PORT: String(options.port),
    LUCKY_IM_METRICS_TOKEN: METRICS_TOKEN,
  };
  const child: ChildProcess = spawn(launch.command, launch.args, {
    cwd: options.cwd,
    env,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exited = false;
  child.once("exit", (code, signal) => {
    exited = true;
    log.write(`\n[bench] ${options.name} exited: code ${code}, signal ${signal}\n`);
    if (!stopping)
      console.error(
        `[bench] ${options.name} (pid ${child.pid}) exited unexpectedly: code ${code}, signal ${signal}; see ${options.logFile}`,
      );
  });
  let stopping = false;
  const httpBase = `http://127.0.0.1:${options.port}`;
  // Under valgrind the server starts tens of times slower.
  const deadline = Date.now() + options.readyTimeoutMs * (cgDir ? 20 : 1);
  for (;;) {
    if (exited)
      throw new Error(`[bench] ${options.name} exited during start; see ${options.logFile}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(
        `[bench] ${options.name} not ready in ${options.readyTimeoutMs} ms; see ${options.logFile}`,
      );
    }
    try {
      const res = await fetch(`${httpBase}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const pid = child.pid as number;
  return {
    pid,
    port: options.port,
    httpBase,
    sample: () => sampleProc(pid),
    ...(cgDir
      ? { instructionsSinceLastCall: () => instructionsSinceLastDump(cgDir, pid, env.HOST) }
      : {}),
    async loopLag() {
      try {
        const res = await fetch(`${httpBase}/metrics`, {
          headers: { authorization: `Bearer ${METRICS_TOKEN}` },
          signal: AbortSignal.timeout(5000),
        });
        const text = await res.text();
        const p99 = /^nodejs_eventloop_lag_p99_seconds\s+([\d.e+-]+)/m.exec(text);
        const max = /^nodejs_eventloop_lag_max_seconds\s+([\d.e+-]+)/m.exec(text);
        if (!p99 || !max) return undefined;
        // monitorEventLoopDelay at 10 ms resolution records the whole timer interval: subtract it.
        const aboveTimer = (seconds: string | undefined) =>
          Math.max(0, Number(seconds) * 1000 - 10);
        return { p99Ms: aboveTimer(p99[1]), maxMs: aboveTimer(max[1]) };
      } catch {
        return undefined;
      }
    },
    async stop() {
      stopping = true;
      if (exited) return;
      const done = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await done;
      clearTimeout(timer);
    },
  };
}
