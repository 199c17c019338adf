/**
 * The simulated users, split over load-generator workers, and the common
 * driving code of the rate scenarios: connect them to a target, run one step
 * at an offered rate, drain, and measure.
 */
import { decodeHistogram, type LatencySummary, newHistogram, summarize } from "./histograms.js";
import { emptyStepCounters, type Route, type StepCounters } from "./loadgen/messages.js";
import { SOCKETS_PER_WORKER, Worker } from "./loadgen/workers.js";
import { sampleServices, servicesCpuSeconds } from "./services-cpu.js";
import type { RunningTarget } from "./targets.js";

/** Loopback source addresses: 127.0.0.1, 127.0.0.2, ... each used by at most `perAddress` sockets. */
export function sourceAddress(index: number, perAddress: number): string {
  const n = Math.floor(index / perAddress) + 1;
  if (n > 250 * 250) throw new Error("[bench] out of loopback source addresses");
  return `127.0.${Math.floor(n / 250)}.${(n % 250) + (n >= 250 ? 1 : 0)}`;
}

export interface Population {
  workers: Worker[];
  /** User ids held by each worker (routes never cross workers). */
  users: string[][];
}

export function createPopulation(
  userIds: readonly string[],
  socketsPerTargetAtOnce: number,
): Population {
  const count = Math.max(
    1,
    Math.ceil((userIds.length * socketsPerTargetAtOnce) / SOCKETS_PER_WORKER),
  );
  const users: string[][] = Array.from({ length: count }, () => []);
  for (const [i, id] of userIds.entries()) users[i % count]?.push(id);
  return { workers: users.map((_, i) => new Worker(i)), users };
}

export async function closePopulation(population: Population): Promise<void> {
  await Promise.all(population.workers.map((worker) => worker.exit()));
}

export interface ConnectResult {
  connected: number;
  failed: number;
  errors: Record<string, number>;
  ms: number;
}

export async function connectTarget(
  population: Population,
  target: RunningTarget,
  tokens: Map<string, string> | undefined,
  /** Scenario key -> server user id, when the server assigned the ids (registration). */
  serverIds: Map<string, string> | undefined,
  options: {
    concurrency: number;
    timeoutMs: number;
    /** Socket index of the first user: sockets from i on take source addresses from `sourceAddress(i)` on. */
    firstSocket?: number;
    /** Epoch ms after which no handshake starts (the rest count as failed). */
    deadline?: number;
  },
): Promise<ConnectResult> {
  let offset = options.firstSocket ?? 0;
  const started = performance.now();
  // The IPC call outlives the connect phase by one handshake's timeout.
  const callTimeoutMs =
    options.deadline === undefined
      ? undefined
      : Math.max(0, options.deadline - Date.now()) + options.timeoutMs + 60_000;
  const replies = await Promise.all(
    population.workers.map((worker, w) => {
      const users = (population.users[w] ?? []).map((id) => {
        const localAddress = sourceAddress(offset++, target.maxPerAddress);
        const userId = serverIds?.get(id) ?? id;
        const token = tokens?.get(userId);
        return token ? { id, userId, token, localAddress } : { id, userId, localAddress };
      });
      return worker.call<ConnectResult>(
        {
          cmd: "connect",
          target: {
            name: target.key,
            protocol: target.protocol,
            base: target.wsBase,
            ...(target.wsBases ? { bases: target.wsBases } : {}),
          },
          users,
          concurrency: Math.max(1, Math.ceil(options.concurrency / population.workers.length)),
          timeoutMs: options.timeoutMs,
          ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
        },
        callTimeoutMs,
      );
    }),
  );
  const errors: Record<string, number> = {};
  for (const reply of replies) {
    for (const [key, n] of Object.entries(reply.errors)) errors[key] = (errors[key] ?? 0) + n;
  }
  return {
    connected: replies.reduce((sum, r) => sum + r.connected, 0),
    failed: replies.reduce((sum, r) => sum + r.failed, 0),
    errors,
    ms: performance.now() - started,
  };
}

export async function disconnectTarget(
  population: Population,
  target: RunningTarget,
): Promise<void> {
  await Promise.all(
    population.workers.map((worker) => worker.call({ cmd: "close", target: target.key })),
  );
}

/** One measured step of one target. */
export interface StepResult {
  target: string;
  phase: string;
  /** Sends per second offered. */
  offeredSends: number;
  /** Deliveries per second offered (sends x fan-out). */
  offered: number;
  /** Deliveries per second received inside the send window. */
  delivered: number;
  /** `sent` answers per second. */
  sentRate: number;
  sendToSent: LatencySummary;
  sendToDelivered: LatencySummary;
  /** Server CPU over the step (window and drain), in percent of one core. */
  cpuPercent: number;
  /** Server CPU µs per delivered message. */
  cpuUsPerMessage: number;
  /**
   * Thousands of instructions the server executed per delivered message (LUCKY_IM_BENCH_CALLGRIND
   * only: a count that, unlike CPU time, hardly depends on the machine's other load).
   */
  kiloInstructionsPerMessage?: number;
  /** Thousands of instructions per second over the step (for the marginal count). */
  kiloInstructionsPerSecond?: number;
  /** CPU of PostgreSQL, Redis and RabbitMQ over the step, in percent of one core. */
  servicesCpuPercent: number;
  /** Server plus services CPU µs per delivered message. */
  totalCpuUsPerMessage: number;
  rssMb: number;
  maxRssMb: number;
  /** p99 event-loop delay of the server over the step, ms above the 10 ms timer. */
  loopLagP99Ms: number | null;
  /**
   * The longest event-loop delay of the server over the step, ms above the 10 ms timer: one
   * stall this long delays every message that arrives during it, which a p99 of the loop's
   * samples hides.
   */
  loopLagMaxMs: number | null;
  drained: boolean;
  drainMs: number;
  counters: StepCounters;
}

let stepCounter = 0;

export interface StepPlan {
  phase: string;
  /** Routes per worker. */
  routes: Route[][];
  /** Sends per second, all workers together. */
  rate: number;
  durationMs: number;
  drainMs: number;
}

function sumCounters(list: StepCounters[]): StepCounters {
  const total = emptyStepCounters();
  for (const c of list) {
    for (const key of Object.keys(total) as (keyof StepCounters)[]) {
      total[key] = key.startsWith("max") ? Math.max(total[key], c[key]) : total[key] + c[key];
    }
  }
  return total;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU seconds spread over `messages`, in µs per message (one decimal). */
function perMessageUs(cpuSeconds: number, messages: number): number {
  return messages > 0 ? Math.round(((cpuSeconds * 1e6) / messages) * 10) / 10 : 0;
}

export async function runStep(
  population: Population,
  target: RunningTarget,
  plan: StepPlan,
): Promise<StepResult> {
  const stepId = ++stepCounter;
  const totalRoutes = plan.routes.reduce((sum, r) => sum + r.length, 0);
  await target.server.loopLag(); // resets the server's lag histogram
  const before = await target.server.sample();
  await target.server.instructionsSinceLastCall?.();
  const servicesBefore = await sampleServices();
  const started = performance.now();
  await Promise.all(
    population.workers.map((worker, w) => {
      const routes = plan.routes[w] ?? [];
      if (routes.length === 0) return undefined;
      return worker.call({
        cmd: "step",
        target: target.key,
        stepId,
        routes,
        rate: (plan.rate * routes.length) / totalRoutes,
        durationMs: plan.durationMs,
        ackEveryMs: 50,
      });
    }),
  );
  let maxRss = before.rssBytes;
  const windowEnd = started + plan.durationMs;
  while (performance.now() < windowEnd) {
    await sleep(Math.min(500, Math.max(1, windowEnd - performance.now())));
    maxRss = Math.max(maxRss, (await target.server.sample()).rssBytes);
  }
  // Drain: bounded wait until every send is answered and every delivery arrived.
  const drainDeadline = performance.now() + plan.drainMs;
  let counters: StepCounters;
  for (;;) {
    const replies = await Promise.all(
      population.workers.map((worker) =>
        worker.call<{ counters: StepCounters }>({ cmd: "stats", target: target.key }),
      ),
    );
    counters = sumCounters(replies.map((r) => r.counters));
    const drained =
      counters.sentOk + counters.errors >= counters.issued - counters.dropped &&
      counters.delivered >= counters.expected;
    if (drained || performance.now() > drainDeadline) break;
    await sleep(100);
  }
  const ended = performance.now();
  const after = await target.server.sample();
  const instructions = await target.server.instructionsSinceLastCall?.();
  const servicesCpu = servicesCpuSeconds(servicesBefore, await sampleServices());
  const lag = await target.server.loopLag();
  const finished = await Promise.all(
    population.workers.map((worker) =>
      worker.call<{ counters: StepCounters; sentLatency?: string; deliveredLatency?: string }>({
        cmd: "finish",
        target: target.key,
      }),
    ),
  );
  counters = sumCounters(finished.map((f) => f.counters));
  const sentLatency = newHistogram();
  const deliveredLatency = newHistogram();
  for (const f of finished) {
    if (f.sentLatency) sentLatency.add(decodeHistogram(f.sentLatency));
    if (f.deliveredLatency) deliveredLatency.add(decodeHistogram(f.deliveredLatency));
  }
  const drained =
    counters.sentOk + counters.errors >= counters.issued - counters.dropped &&
    counters.delivered >= counters.expected;
  const cpu = after.cpuSeconds - before.cpuSeconds;
  const seconds = plan.durationMs / 1000;
  const fanout =
    counters.issued > 0 ? counters.expected / Math.max(1, counters.issued - counters.dropped) : 0;
  return {
    target: target.name,
    phase: plan.phase,
    offeredSends: plan.rate,
    offered: Math.round(plan.rate * fanout),
    delivered: Math.round(counters.deliveredInWindow / seconds),
    sentRate: Math.round(counters.sentOk / seconds),
    sendToSent: summarize(sentLatency),
    sendToDelivered: summarize(deliveredLatency),
    cpuPercent: Math.round((cpu / ((ended - started) / 1000)) * 100),
    cpuUsPerMessage: perMessageUs(cpu, counters.delivered),
    ...(instructions !== undefined && counters.delivered > 0
      ? {
          kiloInstructionsPerMessage: Math.round(instructions / counters.delivered / 100) / 10,
          kiloInstructionsPerSecond: Math.round(instructions / (ended - started)),
        }
      : {}),
    servicesCpuPercent: Math.round((servicesCpu / ((ended - started) / 1000)) * 100),
    totalCpuUsPerMessage: perMessageUs(cpu + servicesCpu, counters.delivered),
    rssMb: Math.round(after.rssBytes / 1048576),
    maxRssMb: Math.round(Math.max(maxRss, after.rssBytes) / 1048576),
    loopLagP99Ms: lag === undefined ? null : Math.round(lag.p99Ms * 10) / 10,
    loopLagMaxMs: lag === undefined ? null : Math.round(lag.maxMs * 10) / 10,
    drained,
    drainMs: Math.round(Math.max(0, ended - windowEnd)),
    counters,
  };
}
