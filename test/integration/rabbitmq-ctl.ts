/**
 * Stops and starts the shared RabbitMQ's application with `rabbitmqctl`, for
 * fault tests. Only meaningful when RabbitMQ runs on this machine (the URL
 * came from `LUCKY_IM_TEST_AMQP_URL`, as on CI), not in a Testcontainer.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { eventually } from "@lucky-im/core/testing";

const run = promisify(execFile);

/** Runs a RabbitMQ CLI tool; rejects with its stderr on failure. */
async function ctl(tool: string, args: string[], timeoutMs = 120_000): Promise<string> {
  const { stdout } = await run(tool, args, { timeout: timeoutMs });
  return stdout;
}

/** True when `rabbitmqctl` can be run here (whatever the state of the app). */
export async function rabbitmqctlAvailable(): Promise<boolean> {
  try {
    await ctl("rabbitmqctl", ["version"], 30_000);
    return true;
  } catch {
    return false;
  }
}

/** `rabbitmqctl stop_app`: the node stays up, the broker application (and every connection) goes. */
export async function stopApp(): Promise<void> {
  await ctl("rabbitmqctl", ["-q", "stop_app"]);
}

/** `rabbitmqctl start_app`. */
export async function startApp(): Promise<void> {
  await ctl("rabbitmqctl", ["-q", "start_app"]);
}

/** Whether `rabbitmq-diagnostics -q check_running` succeeds (the app accepts clients). */
export async function isRunning(): Promise<boolean> {
  try {
    await ctl("rabbitmq-diagnostics", ["-q", "check_running"], 30_000);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check_running` until it succeeds; throws after `timeoutMs`. */
export async function waitRunning(timeoutMs = 120_000): Promise<void> {
  await eventually(isRunning, {
    timeoutMs,
    intervalMs: 500,
    message: "[lucky-im] [test] RabbitMQ running after start_app",
  });
}

/**
 * Makes sure the app runs again, whatever happened: `start_app` (harmless when
 * it runs already), then waits for `check_running`. For `finally` blocks.
 */
export async function ensureRunning(): Promise<void> {
  try {
    await startApp();
  } catch {
    // Already running, or not up yet: waitRunning decides.
  }
  await waitRunning();
}
