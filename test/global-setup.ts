/**
 * Vitest global setup: before a local run, says in one line which services are not configured
 * (their tests skip) and how to enable them. Under CI nothing skips: `serviceUrl` fails instead.
 */
import { dockerAvailable, ENV, onCi, type ServiceName } from "./services.js";
import { skipNotice } from "./skip-notice.js";

export default async function setup(): Promise<void> {
  if (onCi()) return;
  const unset = (Object.keys(ENV) as ServiceName[]).filter((name) => !process.env[ENV[name]]);
  if (unset.length === 0 || (await dockerAvailable())) return;
  console.warn(skipNotice(unset));
}
