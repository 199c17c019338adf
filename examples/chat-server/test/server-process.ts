import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The example's folder and the repository root. */
export const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/** Workspace packages the server imports at run time, in build order. */
const DEPENDENCIES = [
  "core",
  "store-sqlite",
  "auth",
  "transport-ws",
  "store-postgres",
  "broker-amqp",
  "presence-redis",
  "client",
];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds what `node dist/main.js` needs when it is missing: the workspace
 * packages without a `dist/`, and this example when its build is missing or
 * older than its sources (CI builds everything first; a developer's
 * `npm test` may not have).
 */
export async function ensureBuilt(): Promise<void> {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  for (const name of DEPENDENCIES) {
    const dist = join(REPO_ROOT, "packages", name, "dist");
    const missing =
      !existsSync(join(dist, "index.js")) ||
      (name === "client" && !existsSync(join(dist, "browser", "lucky-im-client.js")));
    if (missing) {
      await run(npm, ["run", "build", "-w", `@lucky-im/${name}`], { cwd: REPO_ROOT });
    }
  }
  const main = join(PACKAGE_DIR, "dist", "main.js");
  const stale = !existsSync(main) || newestMtime(join(PACKAGE_DIR, "src")) > statSync(main).mtimeMs;
  if (stale) {
    await run(npm, ["run", "build", "-w", "@lucky-im/example-chat-server"], { cwd: REPO_ROOT });
  }
}

/** One log line of the server (pino JSON). */
export type LogLine = { level: number; msg: string } & Record<string, unknown>;

interface Collected {
  lines: LogLine[];
  output: string;
}

/** The chat server as a real process: `node dist/main.js`. */
export class ServerProcess {
  private readonly exit: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly collected: Collected,
    readonly url: string,
  ) {
    this.exit = new Promise((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      else child.once("exit", (code) => resolve(code));
    });
  }

  /** Parsed log lines so far. */
  get lines(): LogLine[] {
    return this.collected.lines;
  }

  /** Everything the process printed so far, to check what must never be logged. */
  get output(): string {
    return this.collected.output;
  }

  /** Starts it with these variables (and PORT=0) and resolves once it listens. */
  static async start(env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.startsWith("LUCKY_IM_")),
    );
    const child = spawn(process.execPath, ["dist/main.js"], {
      cwd: PACKAGE_DIR,
      env: { ...clean, PORT: "0", HOST: "127.0.0.1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const collected: Collected = { lines: [], output: "" };
    let onListening: ((url: string) => void) | undefined;
    const onLine = (line: string) => {
      collected.output += `${line}\n`;
      let parsed: LogLine;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        return;
      }
      collected.lines.push(parsed);
      if (typeof parsed.port === "number" && parsed.msg.includes("listening")) {
        onListening?.(`http://127.0.0.1:${parsed.port}`);
      }
    };
    createInterface({ input: child.stdout! }).on("line", onLine);
    createInterface({ input: child.stderr! }).on("line", onLine);
    const listening = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "listening" line within ${timeoutMs} ms:\n${collected.output}`)),
        timeoutMs,
      );
      onListening = (url) => {
        clearTimeout(timer);
        resolve(url);
      };
      child.once("exit", (code) => {
        clearTimeout(timer);
        // Let readline hand over the last lines first.
        setTimeout(
          () =>
            reject(new Error(`the server exited (${code}) before listening:\n${collected.output}`)),
          50,
        );
      });
    });
    try {
      return new ServerProcess(child, collected, await listening);
    } catch (error) {
      child.kill("SIGKILL");
      throw error;
    }
  }

  /** Sends a signal and resolves with the exit code. */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 40_000): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    try {
      return await this.exit;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills it if it still runs (cleanup after a failed test). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}
