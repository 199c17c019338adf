/** The orchestrator's side of the load-generator worker processes. */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Command, Reply } from "./messages.js";

/** Sockets one worker holds at most: the per-process limit is 20,000 open files. */
export const SOCKETS_PER_WORKER = 18_000;

type Payload<C> = C extends { cmd: string; id: number } ? Omit<C, "id"> : never;

export class Worker {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, (reply: Reply) => void>();
  #nextId = 0;

  constructor(readonly index: number) {
    this.#child = fork(fileURLToPath(new URL("./worker.ts", import.meta.url)), [], {
      execArgv: ["--import", "tsx", "--max-old-space-size=2048"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.#child.on("message", (reply: Reply) => {
      this.#waiting.get(reply.id)?.(reply);
      this.#waiting.delete(reply.id);
    });
    this.#child.on("exit", (code) => {
      for (const resolve of this.#waiting.values())
        resolve({ id: -1, ok: false, error: `worker exited ${code}` });
      this.#waiting.clear();
    });
  }

  get pid(): number {
    return this.#child.pid as number;
  }

  /** Sends a command; rejects on a worker error or after `timeoutMs`. */
  call<R = Record<string, unknown>>(
    command: Payload<Command>,
    timeoutMs = 600_000,
  ): Promise<R & Reply> {
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`[bench] worker ${this.index}: ${command.cmd} timed out`));
      }, timeoutMs);
      this.#waiting.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.ok) resolve(reply as R & Reply);
        else reject(new Error(`[bench] worker ${this.index}: ${reply.error}`));
      });
      this.#child.send({ ...command, id } as Command);
    });
  }

  async exit(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    this.#child.send({ cmd: "exit", id: 0 });
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}
