/**
 * Stops and starts the shared RabbitMQ's application with `rabbitmqctl`, for
 * fault tests. Only meaningful when RabbitMQ runs on this machine (the URL
 * came from `LUCKY_IM_TEST_AMQP_URL`, as on CI), not in a Testcontainer.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { amqpTopology } from "@lucky-im/broker-amqp";
import { type Channel, connect } from "amqplib";

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
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await isRunning()) return;
    if (Date.now() > deadline) {
      throw new Error(`[lucky-im] [test] RabbitMQ not running ${timeoutMs} ms after start_app`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
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

/**
 * Deletes every queue and exchange an AMQP broker with `prefix` declared, for
 * the node ids given (control queues are exclusive and went with their connection).
 */
export async function deleteAmqpTopology(
  url: string,
  prefix: string,
  nodeIds: readonly string[],
): Promise<void> {
  const t = amqpTopology(prefix);
  const connection = await connect(url);
  try {
    let channel: Channel | undefined;
    // A failed delete closes the channel: take a new one for each object.
    const attempt = async (action: (c: Channel) => Promise<unknown>) => {
      channel ??= await connection.createChannel();
      channel.on("error", () => {});
      try {
        await action(channel);
      } catch {
        channel = undefined;
      }
    };
    for (const nodeId of nodeIds) await attempt((c) => c.deleteQueue(t.nodeQueue(nodeId)));
    await attempt((c) => c.deleteQueue(t.deadLetterQueue));
    for (const exchange of [t.deliveryExchange, t.deadLetterExchange, t.controlExchange]) {
      await attempt((c) => c.deleteExchange(exchange));
    }
  } finally {
    await connection.close().catch(() => {});
  }
}
