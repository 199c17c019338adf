/**
 * The per-process open-file limit, which bounds the sockets one server
 * process can hold (the server processes inherit the tool's limit).
 */
import { readFileSync } from "node:fs";

/** Files a server keeps open besides its client sockets: listener, logs, service links, node internals. */
export const SERVER_FILE_RESERVE = 1000;

/** The soft `Max open files` of this process (`/proc/self/limits`); undefined where it cannot be read. */
export function openFileLimit(): number | undefined {
  try {
    const limits = readFileSync("/proc/self/limits", "utf8");
    const soft = /^Max open files\s+(\d+)/m.exec(limits)?.[1];
    return soft === undefined ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

/** Client sockets one server process can hold under the limit. */
export function socketsPerServerProcess(): number | undefined {
  const limit = openFileLimit();
  return limit === undefined ? undefined : limit - SERVER_FILE_RESERVE;
}
