/**
 * CPU used by the shared services on this machine (PostgreSQL, Redis,
 * RabbitMQ), read from /proc: the `full` target's work does not all happen in
 * the server process, so its CPU per message is reported with theirs too.
 */
import { readdir, readFile } from "node:fs/promises";
import { parseProcStat } from "./server-process.js";

/** Process names (`comm`) counted as services. */
const SERVICE_COMMANDS = new Set(["postgres", "redis-server", "beam.smp"]);

/** CPU seconds per service process id, now. */
export type ServicesSample = Map<string, number>;

export async function sampleServices(): Promise<ServicesSample> {
  const sample: ServicesSample = new Map();
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = await readFile(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    const { comm, cpuSeconds } = parseProcStat(stat);
    if (SERVICE_COMMANDS.has(comm)) sample.set(pid, cpuSeconds);
  }
  return sample;
}

/**
 * Service CPU seconds between two samples. A process that started in between
 * counts from zero; one that ended in between is lost (connections of a pool
 * live across steps, so this is rare).
 */
export function servicesCpuSeconds(before: ServicesSample, after: ServicesSample): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return Math.max(0, total);
}
