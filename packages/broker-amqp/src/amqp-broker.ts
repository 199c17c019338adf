import { randomBytes } from "node:crypto";
import type { EventEmitter } from "node:events";
import type {
  Broker,
  ControlHandler,
  ControlMessage,
  DeliveryHandler,
  Envelope,
} from "@lucky-im/core";
import {
  type BackgroundErrorHandler,
  ConfigError,
  checkOption,
  consoleBackgroundErrors,
  ImError,
  reportBackgroundError,
  withBrokerRuntime,
} from "@lucky-im/core";
import { backoffDelay } from "@lucky-im/protocol";
import {
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  connect,
  type Message,
  type Options,
} from "amqplib";
import type { AmqpBrokerOptions, AmqpQueueType } from "./amqp-broker-options.js";
import { type AmqpTopology, amqpTopology } from "./amqp-topology.js";

const TAG = "[lucky-im] [broker-amqp]";
/** Header counting the failed deliveries of a message on a classic queue. */
const ATTEMPTS_HEADER = "x-lucky-im-attempts";
/** Header naming the node that broadcast a control message. */
const FROM_HEADER = "x-lucky-im-from";

/**
 * Creates a {@link Broker} over RabbitMQ. It connects in the background,
 * declares its topology (see {@link amqpTopology}), reconnects with backoff
 * after a loss and resumes its subscriptions by itself.
 *
 * - `publish` resolves on RabbitMQ's publisher confirm; a nack, an unroutable
 *   message (no queue for that node: the node is gone), a timeout or an
 *   outage reject it with `ImError("unavailable")`. Nothing is queued in memory
 *   during an outage: the outbox keeps the entry pending.
 * - Deliveries are acked once the handler resolved; a delivery whose handler
 *   keeps failing goes to the dead-letter queue after `deliveryLimit` tries.
 *
 * @example
 * ```ts
 * const broker = createAmqpBroker({ url: "amqp://localhost", queueType: "quorum" });
 * await broker.subscribe("node-1", async (envelope) => deliverLocally(envelope));
 * await broker.publish("node-2", envelope);
 * ```
 */
export function createAmqpBroker(options: AmqpBrokerOptions): Broker {
  // The runtime wrapper makes close idempotent and refuses every call made after it.
  return withBrokerRuntime(new AmqpBroker(options), { label: `${TAG} broker` });
}

type State = "connecting" | "connected" | "disconnected" | "closed";

interface PendingPublish {
  resolve(): void;
  reject(error: ImError): void;
  timer: ReturnType<typeof setTimeout>;
}

interface Subscription<H> {
  nodeId: string;
  handler: H;
  /** The live consumer, to cancel it when the subscription is dropped. */
  consumer?: { channel: Channel; tag: string } | undefined;
}

/** What one connection attempt opened. */
interface Opened {
  connection: ChannelModel | undefined;
  /** False for a connection the user passed in: never closed here. */
  owned: boolean;
  channels: Channel[];
  /** Remove the listeners this attempt added. */
  cleanups: (() => void)[];
}

/** A working connection and its channels; replaced as a whole after a failure. */
interface Link extends Opened {
  connection: ChannelModel;
  generation: number;
  publisher: ConfirmChannel;
  consumer: Channel;
}

class AmqpBroker implements Broker {
  private readonly topology: AmqpTopology;
  private readonly queueType: AmqpQueueType;
  private readonly queueExpiresMs: number;
  private readonly deadLetterTtlMs: number;
  private readonly prefetch: number;
  private readonly deliveryLimit: number;
  private readonly publishTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly reconnectInitialDelayMs: number;
  private readonly reconnectMaxDelayMs: number;
  private readonly connectionName: string;
  private readonly onError: BackgroundErrorHandler;
  private nodeId: string | undefined;

  private state: State = "connecting";
  /** Bumped on every (re)connect and teardown: events of an older link are ignored. */
  private generation = 0;
  private link: Link | undefined;
  private blocked = false;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Settles once the first connection attempt ended, whatever its outcome. */
  private readonly firstAttempt: Promise<void>;
  private firstAttemptDone = false;
  /** A user's connection object that closed: it cannot be reopened. */
  private givenConnectionClosed = false;

  private readonly instanceId = randomBytes(6).toString("hex");
  private sequence = 0;
  private readonly pending = new Map<string, PendingPublish>();
  /** Sends waiting for the publish channel to drain (backpressure). */
  private backlog: (() => void)[] = [];
  private writable = true;
  private idleWaiters: (() => void)[] = [];

  private subscription: Subscription<DeliveryHandler> | undefined;
  private controlSubscription: Subscription<ControlHandler> | undefined;

  constructor(private readonly options: AmqpBrokerOptions) {
    if (!options.url && !options.connection) {
      throw new ConfigError("broker-amqp", "pass either `url` or `connection`", { option: "url" });
    }
    this.topology = amqpTopology(options.prefix ?? "lucky-im");
    this.queueType = options.queueType ?? "classic";
    this.queueExpiresMs = positive(options.queueExpiresMs, 3_600_000, "queueExpiresMs");
    this.deadLetterTtlMs = positive(options.deadLetterTtlMs, 604_800_000, "deadLetterTtlMs");
    this.prefetch = positive(options.prefetch, 256, "prefetch");
    this.deliveryLimit = positive(options.deliveryLimit, 5, "deliveryLimit");
    this.publishTimeoutMs = positive(options.publishTimeoutMs, 10_000, "publishTimeoutMs");
    this.connectTimeoutMs = positive(options.connectTimeoutMs, 10_000, "connectTimeoutMs");
    this.reconnectInitialDelayMs = positive(options.reconnectInitialDelayMs, 250, "reconnect");
    this.reconnectMaxDelayMs = positive(options.reconnectMaxDelayMs, 15_000, "reconnect");
    this.connectionName = options.connectionName ?? "lucky-im";
    this.onError = options.onError ?? consoleBackgroundErrors("broker-amqp");
    this.nodeId = options.nodeId;
    this.firstAttempt = this.connect().finally(() => {
      this.firstAttemptDone = true;
    });
  }

  // ---------------------------------------------------------------- Broker

  async publish(nodeId: string, envelope: Envelope): Promise<void> {
    const body = Buffer.from(JSON.stringify(envelope));
    await this.awaitFirstAttempt();
    return this.confirmedPublish(this.topology.deliveryExchange, nodeId, body, {
      mandatory: true,
    });
  }

  async broadcast(message: ControlMessage): Promise<void> {
    const body = Buffer.from(JSON.stringify(message));
    await this.awaitFirstAttempt();
    // Not mandatory: a cluster where no node listens is not an error.
    return this.confirmedPublish(this.topology.controlExchange, "", body, {
      mandatory: false,
      headers: { [FROM_HEADER]: this.nodeId ?? "" },
    });
  }

  async subscribe(nodeId: string, handler: DeliveryHandler): Promise<void> {
    if (this.subscription) {
      throw new ImError("conflict", `${TAG} subscribe was called already on this broker`);
    }
    const subscription: Subscription<DeliveryHandler> = { nodeId, handler };
    await this.register(subscription, "subscription", (link) =>
      this.consumeNodeQueue(link, subscription),
    );
    this.nodeId ??= nodeId;
  }

  async subscribeControl(nodeId: string, handler: ControlHandler): Promise<void> {
    if (this.controlSubscription) {
      throw new ImError("conflict", `${TAG} subscribeControl was called already on this broker`);
    }
    const subscription: Subscription<ControlHandler> = { nodeId, handler };
    await this.register(subscription, "controlSubscription", (link) =>
      this.consumeControl(link, subscription),
    );
    this.nodeId ??= nodeId;
  }

  async ping(): Promise<boolean> {
    await this.awaitFirstAttempt();
    return this.state === "connected";
  }

  /** Called once: the runtime wrapper of {@link createAmqpBroker} makes close idempotent. */
  close(): Promise<void> {
    return this.shutdown();
  }

  // ------------------------------------------------------------ connecting

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    this.state = "connecting";
    const stale = () => generation !== this.generation;
    // What this attempt opened, released as a whole if the attempt is abandoned.
    const opened: Opened = { connection: undefined, owned: false, channels: [], cleanups: [] };
    const { cleanups } = opened;
    try {
      const { connection, owned } = await this.openConnection();
      opened.connection = connection;
      opened.owned = owned;
      if (stale()) return await release(opened); // close() ran meanwhile
      const fail = (error: unknown) => this.fail(error, generation);
      listen(
        connection,
        "close",
        (error?: Error) => {
          if (!owned) this.givenConnectionClosed = true;
          fail(error ?? new Error("connection closed"));
        },
        cleanups,
      );
      listen(connection, "error", (error: Error) => fail(error), cleanups);
      listen(connection, "blocked", () => this.setBlocked(true), cleanups);
      listen(connection, "unblocked", () => this.setBlocked(false), cleanups);

      const publisher = await connection.createConfirmChannel();
      opened.channels.push(publisher);
      watchChannel(publisher, fail, cleanups);
      listen(publisher, "return", (message: Message) => this.onReturn(message), cleanups);
      listen(publisher, "drain", () => this.onDrain(), cleanups);
      const consumer = await connection.createChannel();
      opened.channels.push(consumer);
      watchChannel(consumer, fail, cleanups);
      if (stale()) return await release(opened);

      // From here on, fail() and close() release the link.
      const link: Link = { ...opened, connection, generation, publisher, consumer };
      this.link = link;
      this.writable = true;
      this.blocked = false;
      await this.declareShared(publisher);
      const subscription = this.subscription;
      if (subscription) await this.consumeNodeQueue(link, subscription);
      const controlSubscription = this.controlSubscription;
      if (controlSubscription) await this.consumeControl(link, controlSubscription);
      if (stale()) return;
      this.state = "connected";
      this.attempt = 0;
    } catch (error) {
      if (this.link?.generation !== generation) await release(opened);
      this.fail(error, generation);
    }
  }

  private setBlocked(blocked: boolean): void {
    this.blocked = blocked;
  }

  private async openConnection(): Promise<{ connection: ChannelModel; owned: boolean }> {
    const { url, connection } = this.options;
    if (typeof connection === "function") return { connection: await connection(), owned: true };
    if (connection) {
      if (this.givenConnectionClosed) {
        throw new ImError(
          "unavailable",
          `${TAG} the connection passed in is closed: pass \`url\` or a function to reconnect`,
        );
      }
      return { connection, owned: false };
    }
    const socketOptions = {
      clientProperties: { connection_name: this.connectionName },
      timeout: this.connectTimeoutMs,
    };
    return {
      connection: await connect(url as string | Options.Connect, socketOptions),
      owned: true,
    };
  }

  /** Declares what every node shares: the exchanges and the dead-letter queue. */
  private async declareShared(channel: Channel): Promise<void> {
    const t = this.topology;
    await channel.assertExchange(t.deliveryExchange, "direct", { durable: true });
    await channel.assertExchange(t.deadLetterExchange, "fanout", { durable: true });
    await channel.assertExchange(t.controlExchange, "fanout", { durable: true });
    await channel.assertQueue(t.deadLetterQueue, {
      durable: true,
      arguments: { "x-message-ttl": this.deadLetterTtlMs },
    });
    await channel.bindQueue(t.deadLetterQueue, t.deadLetterExchange, "");
  }

  /**
   * Tears a failed link down and schedules a reconnect. Called by every
   * connection or channel event and by failed setups; only the first call for
   * a generation acts.
   */
  private fail(error: unknown, generation: number): void {
    if (generation !== this.generation || this.state === "closed") return;
    this.generation++;
    const wasConnected = this.state === "connected";
    this.state = "disconnected";
    this.report(
      "unavailable",
      wasConnected ? "lost the connection to RabbitMQ" : "could not connect to RabbitMQ",
      error,
    );
    this.teardown();
    this.rejectPending(new ImError("unavailable", `${TAG} the connection to RabbitMQ was lost`));
    if (this.options.connection && typeof this.options.connection !== "function") {
      if (this.givenConnectionClosed) return; // nothing to reconnect with
    }
    const delay = backoffDelay(
      this.attempt++,
      this.reconnectInitialDelayMs,
      this.reconnectMaxDelayMs,
    );
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private teardown(): void {
    const link = this.link;
    this.link = undefined;
    if (this.subscription) this.subscription.consumer = undefined;
    if (this.controlSubscription) this.controlSubscription.consumer = undefined;
    if (link) void release(link);
  }

  private async shutdown(): Promise<void> {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const previous = this.state;
    this.state = "closed";
    // Let publishes in flight get their confirms (each is bounded by its timeout).
    if (previous === "connected" && this.pending.size > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    this.generation++;
    const link = this.link;
    this.link = undefined;
    if (link) await release(link);
    this.rejectPending(new ImError("unavailable", `${TAG} the broker is closed`));
  }

  private async awaitFirstAttempt(): Promise<void> {
    if (this.firstAttemptDone) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.firstAttempt,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.publishTimeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }

  // ------------------------------------------------------------ publishing

  private confirmedPublish(
    exchange: string,
    routingKey: string,
    body: Buffer,
    options: Options.Publish,
  ): Promise<void> {
    if (this.state !== "connected" || !this.link) {
      const why = this.state === "closed" ? "the broker is closed" : "not connected to RabbitMQ";
      return Promise.reject(new ImError("unavailable", `${TAG} ${why}`));
    }
    if (this.blocked) {
      return Promise.reject(
        new ImError("unavailable", `${TAG} RabbitMQ blocks publishing (resource alarm)`),
      );
    }
    const link = this.link;
    const id = `${this.instanceId}.${(++this.sequence).toString(36)}`;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(
          id,
          new ImError(
            "unavailable",
            `${TAG} no publisher confirm within ${this.publishTimeoutMs} ms`,
          ),
        );
      }, this.publishTimeoutMs);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
      const send = () => this.send(link, id, exchange, routingKey, body, options);
      if (this.writable && this.backlog.length === 0) send();
      else this.backlog.push(send);
    });
  }

  private send(
    link: Link,
    id: string,
    exchange: string,
    routingKey: string,
    body: Buffer,
    options: Options.Publish,
  ): void {
    if (!this.pending.has(id)) return; // timed out while waiting for 'drain'
    if (link !== this.link) {
      this.settle(id, new ImError("unavailable", `${TAG} the connection to RabbitMQ was lost`));
      return;
    }
    try {
      const ok = link.publisher.publish(
        exchange,
        routingKey,
        body,
        {
          ...options,
          persistent: true,
          contentType: "application/json",
          messageId: id,
        },
        (error: unknown) => {
          if (error) {
            this.settle(
              id,
              new ImError("unavailable", `${TAG} RabbitMQ refused the message (nack)`, {
                cause: error,
              }),
            );
          } else {
            this.settle(id);
          }
        },
      );
      if (!ok) this.writable = false;
    } catch (error) {
      this.settle(id, new ImError("unavailable", `${TAG} publish failed`, { cause: error }));
    }
  }

  /** RabbitMQ sends basic.return before the ack of an unroutable mandatory message. */
  private onReturn(message: Message): void {
    const id = message.properties.messageId as string | undefined;
    if (!id) return;
    this.settle(
      id,
      new ImError(
        "unavailable",
        `${TAG} no queue for node "${message.fields.routingKey}" (the node is gone)`,
        { details: { nodeId: message.fields.routingKey } },
      ),
    );
  }

  private onDrain(): void {
    this.writable = true;
    while (this.writable && this.backlog.length > 0) this.backlog.shift()?.();
  }

  private settle(id: string, error?: ImError): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (error) entry.reject(error);
    else entry.resolve();
    if (this.pending.size === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const waiter of waiters) waiter();
    }
  }

  private rejectPending(error: ImError): void {
    this.backlog = [];
    this.writable = true;
    for (const id of [...this.pending.keys()]) this.settle(id, error);
  }

  // ------------------------------------------------------------- consuming

  /**
   * Records a subscription and starts its consumer on the live link. On
   * failure the record is dropped and the call rejects, so it can be retried.
   */
  private async register<H>(
    subscription: Subscription<H>,
    field: "subscription" | "controlSubscription",
    start: (link: Link) => Promise<void>,
  ): Promise<void> {
    await this.awaitFirstAttempt();
    const link = this.link;
    if (this.state !== "connected" || !link) {
      throw new ImError("unavailable", `${TAG} not connected to RabbitMQ`);
    }
    (this as Record<typeof field, Subscription<H> | undefined>)[field] = subscription;
    try {
      await start(link);
    } catch (error) {
      (this as Record<typeof field, Subscription<H> | undefined>)[field] = undefined;
      // A reconnect may have started it meanwhile: stop that consumer.
      const consumer = subscription.consumer;
      if (consumer) void quietly(() => consumer.channel.cancel(consumer.tag));
      throw new ImError("unavailable", `${TAG} could not subscribe: ${messageOf(error)}`, {
        cause: error,
      });
    }
  }

  private async consumeNodeQueue(
    link: Link,
    subscription: Subscription<DeliveryHandler>,
  ): Promise<void> {
    const channel = link.consumer;
    const queue = this.topology.nodeQueue(subscription.nodeId);
    const args: Record<string, unknown> = {
      "x-expires": this.queueExpiresMs,
      "x-dead-letter-exchange": this.topology.deadLetterExchange,
    };
    if (this.queueType === "quorum") {
      args["x-queue-type"] = "quorum";
      // RabbitMQ dead-letters once a message was returned more than this many times.
      args["x-delivery-limit"] = this.deliveryLimit - 1;
    }
    await channel.assertQueue(queue, { durable: true, arguments: args });
    await channel.bindQueue(queue, this.topology.deliveryExchange, subscription.nodeId);
    await channel.prefetch(this.prefetch);
    const { consumerTag } = await channel.consume(
      queue,
      (message) => {
        if (message) void this.onDelivery(link, queue, subscription, message);
        else this.fail(new Error(`RabbitMQ cancelled the consumer of ${queue}`), link.generation);
      },
      { noAck: false },
    );
    subscription.consumer = { channel, tag: consumerTag };
  }

  private async onDelivery(
    link: Link,
    queue: string,
    subscription: Subscription<DeliveryHandler>,
    message: ConsumeMessage,
  ): Promise<void> {
    const channel = link.consumer;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(message.content.toString("utf8")) as Envelope;
    } catch (error) {
      this.report("bad_request", `a delivery on ${queue} is not JSON: dead-lettered`, error);
      quietlySync(() => channel.nack(message, false, false));
      return;
    }
    const attempts = this.failedAttempts(message);
    try {
      await subscription.handler(envelope, {
        redelivered: message.fields.redelivered || attempts > 0,
      });
    } catch (error) {
      await this.retryOrDeadLetter(link, queue, message, attempts, error);
      return;
    }
    // A link that failed meanwhile has its deliveries requeued by RabbitMQ.
    quietlySync(() => channel.ack(message));
  }

  private failedAttempts(message: ConsumeMessage): number {
    const headers = message.properties.headers ?? {};
    const raw =
      this.queueType === "quorum" ? headers["x-delivery-count"] : headers[ATTEMPTS_HEADER];
    const count = typeof raw === "number" ? raw : Number(raw ?? 0);
    return Number.isFinite(count) && count > 0 ? count : 0;
  }

  private async retryOrDeadLetter(
    link: Link,
    queue: string,
    message: ConsumeMessage,
    attempts: number,
    error: unknown,
  ): Promise<void> {
    const channel = link.consumer;
    const tries = attempts + 1;
    const last = tries >= this.deliveryLimit;
    this.report(
      "internal",
      last
        ? `the delivery handler failed ${tries} times: message dead-lettered to ${this.topology.deadLetterQueue}`
        : `the delivery handler failed (try ${tries} of ${this.deliveryLimit}): will retry`,
      error,
    );
    if (this.queueType === "quorum") {
      // x-delivery-limit counts and dead-letters; quorum queues requeue at the tail.
      quietlySync(() => channel.nack(message, false, true));
      return;
    }
    if (last) {
      quietlySync(() => channel.nack(message, false, false));
      return;
    }
    // Requeue at the tail with the count in a header, so it blocks no one behind it.
    try {
      await this.confirmedPublish("", queue, message.content, {
        mandatory: true,
        ...(message.properties.expiration ? { expiration: message.properties.expiration } : {}),
        headers: { ...message.properties.headers, [ATTEMPTS_HEADER]: tries },
      });
      quietlySync(() => channel.ack(message));
    } catch {
      quietlySync(() => channel.nack(message, false, true));
    }
  }

  private async consumeControl(
    link: Link,
    subscription: Subscription<ControlHandler>,
  ): Promise<void> {
    const channel = link.consumer;
    const name = `${this.topology.controlQueuePrefix(subscription.nodeId)}.${randomBytes(4).toString("hex")}`;
    // Exclusive and auto-delete: it lives and dies with this connection.
    const { queue } = await channel.assertQueue(name, {
      exclusive: true,
      autoDelete: true,
      durable: false,
    });
    await channel.bindQueue(queue, this.topology.controlExchange, "");
    const { consumerTag } = await channel.consume(
      queue,
      (message) => {
        if (!message) {
          this.fail(new Error(`RabbitMQ cancelled the consumer of ${queue}`), link.generation);
          return;
        }
        try {
          const control = JSON.parse(message.content.toString("utf8")) as ControlMessage;
          const from = message.properties.headers?.[FROM_HEADER];
          // A handler may be async despite its void type: its rejection must not escape.
          const result: unknown = subscription.handler(
            control,
            typeof from === "string" ? from : "",
          );
          if (result instanceof Promise) {
            result.catch((error: unknown) =>
              this.report("internal", "a control message could not be handled", error),
            );
          }
        } catch (error) {
          this.report("internal", "a control message could not be handled", error);
        }
      },
      { noAck: true },
    );
    subscription.consumer = { channel, tag: consumerTag };
  }

  private report(code: ImError["code"], message: string, cause: unknown): void {
    // An onError that throws must not break the broker: reportBackgroundError swallows it.
    const error = new ImError(code, `${TAG} ${message}: ${messageOf(cause)}`, { cause });
    reportBackgroundError(this.onError, error, message);
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  return checkOption("broker-amqp", name, value, { default: fallback, min: 1 });
}

function listen<A extends unknown[]>(
  emitter: EventEmitter,
  event: string,
  listener: (...args: A) => void,
  cleanups: (() => void)[],
): void {
  const fn = listener as (...args: unknown[]) => void;
  emitter.on(event, fn);
  cleanups.push(() => emitter.off(event, fn));
}

function watchChannel(
  channel: Channel,
  fail: (error: unknown) => void,
  cleanups: (() => void)[],
): void {
  listen(channel, "error", (error: Error) => fail(error), cleanups);
  // A channel closes just before its connection: let the connection's event, which
  // carries the reason, be the one reported.
  listen(channel, "close", () => setImmediate(() => fail(new Error("channel closed"))), cleanups);
}

function noop(): void {}

/** Closes what an attempt opened, quietly; safe to call twice. */
async function release(opened: Opened): Promise<void> {
  for (const cleanup of opened.cleanups.splice(0)) cleanup();
  // Keep an error listener: a late 'error' on an abandoned emitter would throw.
  for (const channel of opened.channels) channel.on("error", noop);
  if (opened.owned) opened.connection?.on("error", noop);
  for (const channel of opened.channels.splice(0).reverse()) await quietly(() => channel.close());
  const connection = opened.connection;
  if (opened.owned && connection) {
    opened.connection = undefined;
    await quietly(() => connection.close());
  }
}

async function quietly(action: () => Promise<unknown> | undefined): Promise<void> {
  try {
    await action();
  } catch {
    // Closing what is already closed: nothing to report.
  }
}

function quietlySync(action: () => void): void {
  try {
    action();
  } catch {
    // The channel is gone: RabbitMQ requeues the delivery itself.
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
