import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { amqpTopology } from "@lucky-im/broker-amqp";
import type { Envelope } from "@lucky-im/core";
import { type Channel, type ChannelModel, connect } from "amqplib";

const run = promisify(execFile);

/** A small envelope carrying a marker the tests recognise. */
export function envelope(text: string): Envelope {
  return { kind: "kick", userId: text, code: 4000, reason: "test" };
}

/** The marker of an {@link envelope}. */
export function markerOf(value: Envelope): string {
  return value.kind === "kick" ? value.userId : "";
}

/** Closes, server side, the connections whose `connection_name` is `name`. Returns how many. */
export async function closeConnectionsNamed(name: string): Promise<number> {
  const ctl = async (...args: string[]) => (await run("rabbitmqctl", args)).stdout;
  // JSON shows the client properties but prints pids in a form close_connection refuses;
  // the tab-separated listing prints them as it wants: join the two by connection name.
  const rows = JSON.parse(
    await ctl("list_connections", "name", "client_properties", "--formatter", "json", "-q"),
  ) as { name: string; client_properties: [string, string, unknown][] }[];
  const names = new Set(
    rows
      .filter((row) =>
        row.client_properties.some(([key, , value]) => key === "connection_name" && value === name),
      )
      .map((row) => row.name),
  );
  const pids = (await ctl("list_connections", "pid", "name", "-q"))
    .split("\n")
    .map((line) => line.split("\t"))
    .filter(([, connection]) => connection !== undefined && names.has(connection))
    .map(([pid]) => pid!);
  for (const pid of pids) await ctl("close_connection", pid, "test");
  return pids.length;
}

/** An admin connection for checks and cleanup, beside the brokers under test. */
export class Admin {
  private constructor(
    private readonly connection: ChannelModel,
    private channel: Channel,
  ) {}

  static async open(url: string): Promise<Admin> {
    const connection = await connect(url);
    return new Admin(connection, await Admin.channel(connection));
  }

  private static async channel(connection: ChannelModel): Promise<Channel> {
    const channel = await connection.createChannel();
    // A 404 closes the channel with an 'error' event: expected here.
    channel.on("error", () => {});
    return channel;
  }

  /** A fresh channel after a 404 closed the previous one. */
  private async use<T>(action: (channel: Channel) => Promise<T>): Promise<T> {
    try {
      return await action(this.channel);
    } catch (error) {
      this.channel = await Admin.channel(this.connection);
      throw error;
    }
  }

  /** Asks rabbitmqctl, which (unlike a passive declare) does not reset the queue's x-expires. */
  async queueExists(queue: string): Promise<boolean> {
    const { stdout } = await run("rabbitmqctl", [
      "list_queues",
      "name",
      "--formatter",
      "json",
      "-q",
    ]);
    return (JSON.parse(stdout) as { name: string }[]).some((row) => row.name === queue);
  }

  /** Takes every message now in `queue`. */
  async drain(queue: string): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for (;;) {
      const message = await this.use((channel) => channel.get(queue, { noAck: true }));
      if (!message) return out;
      out.push(message.content);
    }
  }

  /** Deletes every queue and exchange of `prefix` (node queues of `nodeIds`). */
  async deleteTopology(prefix: string, nodeIds: Iterable<string>): Promise<void> {
    const t = amqpTopology(prefix);
    for (const nodeId of nodeIds) await this.use((c) => c.deleteQueue(t.nodeQueue(nodeId)));
    await this.use((c) => c.deleteQueue(t.deadLetterQueue));
    for (const exchange of [t.deliveryExchange, t.deadLetterExchange, t.controlExchange]) {
      await this.use((c) => c.deleteExchange(exchange));
    }
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
