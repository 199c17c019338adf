/**
 * Instruction counts as a repeatable measure of server work: with LUCKY_IM_BENCH_CALLGRIND=<dir>
 * every server runs under `valgrind --tool=callgrind`, and each step reads how many instructions
 * the server executed (all its threads, user space only: kernel work such as socket writes is
 * not counted). Unlike CPU time, the count hardly changes with what else the machine is doing,
 * so a change to the send path can be compared run to run. The server is ~50x slower under
 * valgrind: run low rates and few connections (bench/README.md).
 */
import { execFile } from "node:child_process";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** The directory callgrind writes its dumps to, when the bench counts instructions. */
export function callgrindDir(): string | undefined {
  return process.env.LUCKY_IM_BENCH_CALLGRIND || undefined;
}

/** The command that runs `command args` under callgrind, writing dumps to `dir`. */
export function underCallgrind(
  dir: string,
  command: string,
  args: string[],
): { command: string; args: string[] } {
  return {
    command: "valgrind",
    args: [
      "--tool=callgrind",
      // V8 writes machine code at run time: callgrind must notice code that changes.
      "--smc-check=all-non-file",
      `--callgrind-out-file=${join(dir, "callgrind.%p")}`,
      command,
      ...args,
    ],
  };
}

/** The `totals:` (or `summary:`) line of a callgrind dump: instructions executed. */
export function parseCallgrindTotal(dump: string): number {
  const match = /^(?:totals|summary):\s+(\d+)/m.exec(dump);
  if (!match) throw new Error("[bench] a callgrind dump without totals");
  return Number(match[1]);
}

/**
 * Instructions the process executed since the previous call (or its start): asks callgrind to
 * dump its counters (which zeroes them), reads the new dump and deletes it.
 */
export async function instructionsSinceLastDump(
  dir: string,
  pid: number,
  serverHost: string | undefined,
): Promise<number> {
  // vgdb finds the server by files named after $USER and $HOST as the server saw them, and
  // the chat server's HOST is its listen address.
  const env = { ...process.env };
  if (serverHost === undefined) delete env.HOST;
  else env.HOST = serverHost;
  await execFileAsync("callgrind_control", ["--dump", String(pid)], { env });
  const prefix = `callgrind.${pid}.`;
  const dumps = (await readdir(dir))
    .filter((name) => name.startsWith(prefix))
    .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)));
  const newest = dumps.at(-1);
  if (newest === undefined) throw new Error(`[bench] callgrind wrote no dump for pid ${pid}`);
  const total = parseCallgrindTotal(await readFile(join(dir, newest), "utf8"));
  await Promise.all(dumps.map((name) => rm(join(dir, name), { force: true })));
  return total;
}
