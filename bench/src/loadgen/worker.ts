/**
 * A load-generator process: holds up to ~18,000 WebSocket clients (the
 * 20,000 open-file limit per process) and drives them on the orchestrator's
 * orders over IPC. Sender and recipients of every route live in the same
 * worker, so latencies are measured on one monotonic clock.
 */
import { type IntervalHistogram, monitorEventLoopDelay, performance } from "node:perf_hooks";
import { WebSocket } from "ws";
import { encodeHistogram, type Histogram, newHistogram } from "../histograms.js";
import {
  type Command,
  emptyStepCounters,
  type Reply,
  type Route,
  type StepCounters,
  type TargetRef,
} from "./messages.js";
import { adapterOf, type Frame, type ProtocolAdapter } from "./protocol-adapters.js";

/** A send frame's body carries `<stepId>|<intended send time, µs>` for the recipient. */
interface Client {
  /** The scenario's name for the user (routes use it). */
  key: string;
  /** The user id on the server (the token's `sub`). */
  userId: string;
  token?: string;
  localAddress: string;
  /** The node this client connects to (`TargetRef.bases`), by its index. */
  node: number;
  ws?: WebSocket;
  ready: boolean;
  /** Highest seq seen per conversation, not yet acked. */
  unacked: Map<string, number>;
  /** When the first of `unacked` arrived (ms, performance clock): acks go out ACK_DELAY_MS later. */
  unackedSince: number;
  /** Highest seq seen per conversation (sync cursors). */
  cursors: Map<string, number>;
  onReady?: () => void;
  onSynced?: (more: boolean) => void;
  onSent?: () => void;
}

interface TargetState {
  ref: TargetRef;
  adapter: ProtocolAdapter;
  clients: Map<string, Client>;
  /** Clients with acks to send. */
  acking: Set<Client>;
  step?: StepState;
  ackTimer?: NodeJS.Timeout;
}

interface StepState {
  stepId: number;
  counters: StepCounters;
  /** cid -> intended send time (µs). */
  pending: Map<string, number>;
  /** Recipient user + messageId already received (duplicates are re-pushes). */
  seen: Set<string>;
  sentLatency: Histogram;
  deliveredLatency: Histogram;
  windowEnd: number;
  timer?: NodeJS.Timeout;
  warm?: { acked: number };
  /** This worker's event-loop delay over a measured step (as the servers measure theirs). */
  loopDelay?: IntervalHistogram;
}

const targets = new Map<string, TargetState>();
const nowUs = () => performance.now() * 1000;
let cidCounter = 0;

/** The answer to a send (`sent` frame, or an entry of a `receipts` frame). */
function onSent(client: Client, step: StepState | undefined, cid: string): void {
  client.onSent?.();
  if (!step) return;
  const started = step.pending.get(cid);
  if (started === undefined) return;
  step.pending.delete(cid);
  step.counters.sentOk++;
  step.sentLatency.recordValue(Math.max(1, Math.round(nowUs() - started)));
}

function onFrame(state: TargetState, client: Client, frame: Frame): void {
  const step = state.step;
  switch (frame.type) {
    case "ready":
      client.ready = true;
      client.onReady?.();
      return;
    case "sent":
      onSent(client, step, frame.cid as string);
      return;
    case "receipts":
      // Held answers (`sent-batch`) ride receipts frames.
      for (const answer of (frame.sent as { cid: string }[] | undefined) ?? [])
        onSent(client, step, answer.cid);
      return;
    case "error": {
      if (!step || typeof frame.cid !== "string" || !step.pending.has(frame.cid)) return;
      step.pending.delete(frame.cid);
      step.counters.errors++;
      return;
    }
    case "message": {
      const conversationId = frame.conversationId as string;
      const seq = frame.seq as number;
      if (seq > (client.cursors.get(conversationId) ?? 0)) client.cursors.set(conversationId, seq);
      if (state.adapter.acks && !step?.warm) {
        if (client.unacked.size === 0) {
          client.unackedSince = performance.now();
          state.acking.add(client);
        }
        if (seq > (client.unacked.get(conversationId) ?? 0))
          client.unacked.set(conversationId, seq);
      }
      if (!step) return;
      const text = (frame.body as { text?: string } | undefined)?.text ?? "";
      const bar = text.indexOf("|");
      if (Number(text.slice(0, bar)) !== step.stepId) return;
      const key = `${client.userId}/${frame.messageId as string}`;
      if (step.seen.has(key)) {
        step.counters.duplicates++;
        return;
      }
      step.seen.add(key);
      const now = nowUs();
      step.counters.delivered++;
      if (now <= step.windowEnd) step.counters.deliveredInWindow++;
      step.deliveredLatency.recordValue(Math.max(1, Math.round(now - Number(text.slice(bar + 1)))));
      return;
    }
    case "synced":
      client.onSynced?.(frame.more === true);
      return;
    default:
      return;
  }
}

/** Opens one client's socket; resolves on `ready`, rejects on close/timeout. */
function open(state: TargetState, client: Client, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const { adapter, ref } = state;
    client.ready = false;
    const base = ref.bases?.[client.node % ref.bases.length] ?? ref.base;
    const ws = new WebSocket(adapter.url(base, client.userId), adapter.protocols, {
      headers: adapter.headers(client.token),
      localAddress: client.localAddress,
      perMessageDeflate: false,
      handshakeTimeout: timeoutMs,
    });
    client.ws = ws;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error("timeout waiting for ready"));
    }, timeoutMs);
    client.onReady = () => {
      clearTimeout(timer);
      client.onReady = undefined;
      resolve();
    };
    ws.on("open", () => {
      for (const data of adapter.onOpen(client.userId, client.token)) ws.send(data);
    });
    ws.on("message", (data) => {
      const text = data.toString();
      let decoded: ReturnType<ProtocolAdapter["decode"]>;
      try {
        decoded = adapter.decode(text, client.userId);
      } catch {
        return;
      }
      if (decoded.reply !== undefined) ws.send(decoded.reply);
      if (decoded.frame) onFrame(state, client, decoded.frame);
    });
    ws.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    ws.on("close", (code) => {
      clearTimeout(timer);
      client.ready = false;
      reject(new Error(`closed ${code}`));
    });
  });
}

/** An error's message with addresses and ports masked, so that the same failure counts under one key. */
function errorKey(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .replace(/\b\d{1,3}(\.\d{1,3}){3}(:\d+)?/g, "<addr>")
    .replace(/\[[0-9a-f:]+\](:\d+)?/gi, "<addr>");
}

/**
 * Runs `task` over `items` with at most `concurrency` in flight. After
 * `deadline` (epoch ms) no item starts: those left count as failed.
 */
async function pool<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
  deadline = Number.POSITIVE_INFINITY,
) {
  let next = 0;
  let failed = 0;
  const errors = new Map<string, number>();
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length && Date.now() < deadline) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (error) {
        failed++;
        const key = errorKey(error);
        errors.set(key, (errors.get(key) ?? 0) + 1);
      }
    }
  });
  await Promise.all(lanes);
  const notStarted = items.length - next;
  if (notStarted > 0) {
    failed += notStarted;
    errors.set("not started: connect phase over", notStarted);
  }
  return { failed, errors: Object.fromEntries(errors) };
}

/** The sampling timer of the worker's event-loop delay, ms (prom-client's default, as the servers). */
const LOOP_DELAY_RESOLUTION_MS = 10;

/** The official client's `ackDelayMs`: acks go out this long after the first one waiting. */
const ACK_DELAY_MS = 50;
/** How often the worker looks for acks that are due. */
const ACK_CHECK_MS = 10;
/** The server's default `maxAcksPerFrame`. */
const MAX_ACKS_PER_FRAME = 100;

/**
 * Sends the acks that waited ACK_DELAY_MS, as the official client does: one `acks` frame for
 * several conversations when the protocol has them, else one `ack` per conversation.
 */
function flushAcks(state: TargetState): void {
  const dueBefore = performance.now() - ACK_DELAY_MS;
  for (const client of state.acking) {
    if (client.unackedSince > dueBefore) continue;
    state.acking.delete(client);
    const ws = client.ws;
    if (client.unacked.size === 0 || !ws || ws.readyState !== WebSocket.OPEN) {
      client.unacked.clear();
      continue;
    }
    const acks = [...client.unacked].map(([conversationId, seq]) => ({ conversationId, seq }));
    client.unacked.clear();
    if (state.adapter.ackBatch && acks.length > 1) {
      for (let i = 0; i < acks.length; i += MAX_ACKS_PER_FRAME)
        ws.send(
          state.adapter.encode({ type: "acks", acks: acks.slice(i, i + MAX_ACKS_PER_FRAME) }),
        );
      continue;
    }
    for (const ack of acks) ws.send(state.adapter.encode({ type: "ack", ...ack }));
  }
}

function send(
  state: TargetState,
  client: Client,
  route: Route,
  text: string,
  cid: string,
): boolean {
  const ws = client.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN) return false;
  ws.send(state.adapter.encode({ type: "send", cid, to: route.to, body: { type: "text", text } }));
  return true;
}

/** Open loop: sends at `rate`/s for `durationMs`; latency counts from the intended send time. */
function runStep(state: TargetState, command: Extract<Command, { cmd: "step" }>): void {
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  loopDelay.enable();
  const step: StepState = {
    stepId: command.stepId,
    counters: emptyStepCounters(),
    pending: new Map(),
    seen: new Set(),
    sentLatency: newHistogram(),
    deliveredLatency: newHistogram(),
    windowEnd: Number.POSITIVE_INFINITY,
    loopDelay,
  };
  state.step = step;
  const routes = command.routes;
  const start = nowUs();
  step.windowEnd = start + command.durationMs * 1000;
  const total = Math.floor((command.rate * command.durationMs) / 1000);
  const intervalUs = 1e6 / command.rate;
  // A bounded burst per tick keeps the worker's event loop answering (acks, IPC).
  const maxBurst = Math.max(50, Math.ceil(command.rate / 50));
  let issued = 0;
  const tick = () => {
    const now = nowUs();
    const due = Math.min(total, Math.floor((now - start) / intervalUs) + 1);
    const burstEnd = Math.min(due, issued + maxBurst);
    for (; issued < burstEnd; issued++) {
      const intended = start + issued * intervalUs;
      const route = routes[issued % routes.length] as Route;
      const client = state.clients.get(route.from);
      const cid = `c${++cidCounter}`;
      step.counters.issued++;
      if (!client || !send(state, client, route, `${step.stepId}|${intended}`, cid)) {
        step.counters.dropped++;
        continue;
      }
      step.pending.set(cid, intended);
      step.counters.expected += route.fanout;
    }
    const lagMs = (now - (start + issued * intervalUs)) / 1000;
    if (lagMs > step.counters.maxScheduleLagMs) step.counters.maxScheduleLagMs = lagMs;
    if (issued < total && now < start + (command.durationMs + 60_000) * 1000) {
      step.timer = setTimeout(tick, issued < due ? 0 : 1);
    }
  };
  tick();
}

function finishStep(state: TargetState) {
  const step = state.step;
  if (!step) return { counters: emptyStepCounters() };
  if (step.timer) clearTimeout(step.timer);
  if (step.loopDelay) {
    step.loopDelay.disable();
    // The histogram records the whole timer interval: above it is delay.
    step.counters.maxLoopLagMs = Math.max(0, step.loopDelay.max / 1e6 - LOOP_DELAY_RESOLUTION_MS);
  }
  state.step = undefined;
  return {
    counters: step.counters,
    sentLatency: encodeHistogram(step.sentLatency),
    deliveredLatency: encodeHistogram(step.deliveredLatency),
  };
}

async function handle(command: Command): Promise<Omit<Reply, "id">> {
  switch (command.cmd) {
    case "connect": {
      const state: TargetState = targets.get(command.target.name) ?? {
        ref: command.target,
        adapter: adapterOf(command.target.protocol),
        clients: new Map(),
        acking: new Set(),
      };
      targets.set(command.target.name, state);
      const clients = command.users.map((user, index) => {
        const client: Client = {
          key: user.id,
          userId: user.userId ?? user.id,
          localAddress: user.localAddress,
          node: index,
          ready: false,
          unacked: new Map(),
          unackedSince: 0,
          cursors: new Map(),
          ...(user.token ? { token: user.token } : {}),
        };
        state.clients.set(user.id, client);
        return client;
      });
      const started = performance.now();
      const result = await pool(
        clients,
        command.concurrency,
        (client) => open(state, client, command.timeoutMs),
        command.deadline,
      );
      state.ackTimer ??= setInterval(() => flushAcks(state), ACK_CHECK_MS);
      return {
        connected: clients.length - result.failed,
        ...result,
        ms: performance.now() - started,
      };
    }
    case "step": {
      const state = targets.get(command.target);
      if (!state) throw new Error(`no target ${command.target}`);
      runStep(state, command);
      return {};
    }
    case "stats": {
      const step = targets.get(command.target)?.step;
      return { counters: step?.counters ?? emptyStepCounters() };
    }
    case "finish": {
      const state = targets.get(command.target);
      return state ? finishStep(state) : {};
    }
    case "warm": {
      // Messages the recipients do not ack, so a later sync has something to return.
      const state = targets.get(command.target);
      if (!state) throw new Error(`no target ${command.target}`);
      state.step = {
        stepId: -1,
        counters: emptyStepCounters(),
        pending: new Map(),
        seen: new Set(),
        sentLatency: newHistogram(),
        deliveredLatency: newHistogram(),
        windowEnd: 0,
        warm: { acked: 0 },
      };
      let answered = 0;
      const total = command.routes.length * command.perRoute;
      const done = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, command.timeoutMs);
        for (const route of command.routes) {
          const client = state.clients.get(route.from);
          if (!client) continue;
          client.onSent = () => {
            if (++answered >= total) {
              clearTimeout(timer);
              resolve();
            }
          };
          for (let i = 0; i < command.perRoute; i++)
            send(state, client, route, "-1|0", `w${++cidCounter}`);
        }
      });
      await done;
      for (const client of state.clients.values()) client.onSent = undefined;
      state.step = undefined;
      return { answered, total };
    }
    case "reconnect": {
      // Every client drops at once, then all reconnect and sync; the time runs until the last `synced`.
      const state = targets.get(command.target);
      if (!state) throw new Error(`no target ${command.target}`);
      const clients = [...state.clients.values()];
      for (const client of clients) {
        client.ws?.removeAllListeners("close");
        client.ws?.on("error", () => {});
        client.ws?.terminate();
        client.cursors.clear();
        client.unacked.clear();
      }
      const started = performance.now();
      let messages = 0;
      const syncedAt: number[] = [];
      const result = await pool(clients, command.concurrency, async (client) => {
        await open(state, client, command.timeoutMs);
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error("timeout waiting for synced")),
            command.timeoutMs,
          );
          let rounds = 0;
          const sync = () => {
            rounds++;
            client.ws?.send(
              state.adapter.encode({ type: "sync", cursors: Object.fromEntries(client.cursors) }),
            );
          };
          client.onSynced = (more) => {
            if (more && rounds < 100) return sync();
            clearTimeout(timer);
            client.onSynced = undefined;
            for (const seq of client.cursors.values()) messages += seq;
            syncedAt.push(performance.now() - started);
            resolve();
          };
          sync();
        });
      });
      syncedAt.sort((a, b) => a - b);
      return {
        ...result,
        synced: syncedAt.length,
        messages,
        allMs: syncedAt.at(-1) ?? 0,
        p50Ms: syncedAt[Math.floor(syncedAt.length / 2)] ?? 0,
        p99Ms: syncedAt[Math.floor(syncedAt.length * 0.99)] ?? 0,
      };
    }
    case "count": {
      const clients = targets.get(command.target)?.clients.values() ?? [];
      let open = 0;
      for (const client of clients)
        if (client.ready && client.ws?.readyState === WebSocket.OPEN) open++;
      return { open };
    }
    case "close": {
      const state = targets.get(command.target);
      if (!state) return {};
      if (state.ackTimer) clearInterval(state.ackTimer);
      if (state.step?.timer) clearTimeout(state.step.timer);
      for (const client of state.clients.values()) {
        client.ws?.removeAllListeners();
        client.ws?.on("error", () => {});
        client.ws?.terminate();
      }
      targets.delete(command.target);
      return {};
    }
    case "exit":
      setTimeout(() => process.exit(0), 10).unref();
      return {};
  }
}

process.on("message", (command: Command) => {
  handle(command).then(
    (reply) => process.send?.({ id: command.id, ok: true, ...reply } satisfies Reply),
    (error: unknown) =>
      process.send?.({
        id: command.id,
        ok: false,
        error: error instanceof Error ? error.stack : String(error),
      }),
  );
});
process.on("disconnect", () => process.exit(0));
