/**
 * `idle`: N connections held; the servers' RSS growth per connection. One
 * target at a time. `--nodes` spreads the connections over several server
 * processes of the target (one process holds at most its open-file limit in
 * sockets): for `full` one cluster sharing PostgreSQL, Redis and RabbitMQ,
 * for the others independent processes.
 */
import { type RunningCluster, startCluster } from "../cluster.js";
import { socketsPerServerProcess } from "../open-files.js";
import {
  type ConnectResult,
  closePopulation,
  connectTarget,
  createPopulation,
  type Population,
} from "../population.js";
import { type ProcSample, sampleProc } from "../server-process.js";
import type { RunningTarget } from "../targets.js";
import { mintTokens } from "../tokens.js";
import type { ScenarioContext, ScenarioResult } from "./context.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number) => Math.round(bytes / 1048576);
const oneDecimal = (value: number) => Math.round(value * 10) / 10;
/** How often the connect phase logs its progress. */
const PROGRESS_EVERY_MS = 10_000;
/** Error kinds listed per target; the rest are summed as "other". */
const ERROR_ROWS = 10;

/** What one node, or a whole target, did with its connections. */
interface HeldFigures {
  requested: number;
  connected: number;
  failed: number;
  /** Sockets still open and past `ready` after the hold. */
  openAfterHold: number;
  /** Of a target: from the first handshake to the last node's last handshake. */
  connectMs: number;
  /** Of a target: sums over the nodes. */
  rssBeforeMb: number;
  rssAfterMb: number;
  /** Of a target: total RSS growth over total connections. */
  kibPerConnection: number;
  /** Percent of one core; of a target: all nodes together. */
  cpuPercentHeld: number;
  /** Of a target: the worst node. */
  loopLagP99Ms: number | null;
  errors: Record<string, number>;
}

interface NodeResult extends HeldFigures {
  node: number;
  port: number;
}

interface IdleResult extends HeldFigures {
  nodes: number;
  /** `cluster`: the nodes share the services (full); `independent`: separate processes. */
  topology: "single" | "cluster" | "independent";
  loadGenerator: { workers: number; rssMb: number; maxWorkerRssMb: number };
  perNode: NodeResult[];
}

/** The table columns of {@link HeldFigures}, in the order of {@link heldCells}. */
const HELD_COLUMNS = [
  "connected",
  "failed",
  "open after hold",
  "connect s",
  "rss before MB",
  "rss after MB",
  "KiB/conn",
  "cpu% held",
  "lag p99",
];

export async function runIdle(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { options } = ctx;
  const nodeCount = options.nodes;
  const perNode = Math.ceil(options.connections / nodeCount);
  const capacity = socketsPerServerProcess();
  if (capacity !== undefined && perNode > capacity) {
    throw new Error(
      `[bench] idle: ${perNode} connections per node exceed the ${capacity} sockets one server process can hold under its open-file limit; use --nodes ${Math.ceil(options.connections / capacity)} or more`,
    );
  }
  const userIds = Array.from({ length: options.connections }, (_, i) => `u${i}`);
  let tokens: Map<string, string> | undefined;
  const results: Record<string, IdleResult> = {};
  for (const [targetIndex, name] of options.targets.entries()) {
    if (ctx.timeLeftMs() <= 0) break;
    const cluster = await startCluster(name, ctx.targetContext, nodeCount);
    const population = createPopulation(userIds, 1);
    try {
      if (cluster.nodes[0]?.needsTokens && !tokens) {
        tokens = await mintTokens(userIds, ctx.targetContext.jwtSecret);
      }
      ctx.log(
        `idle ${name}: ${cluster.nodes.length} node(s) on ports ${cluster.nodes.map((n) => n.server.port).join(", ")}, ${population.workers.length} load-generator worker(s)`,
      );
      await sleep(1000);
      // Each target takes fresh source addresses: the previous target's sockets linger in TIME_WAIT.
      const firstSocket = targetIndex * options.connections;
      results[name] = await measure(ctx, cluster, population, tokens, firstSocket);
      ctx.log(`idle ${name}: ${JSON.stringify({ ...results[name], perNode: undefined })}`);
    } finally {
      const stopping = performance.now();
      await closePopulation(population);
      await cluster.stop();
      ctx.log(
        `idle ${name}: clients closed, nodes stopped in ${((performance.now() - stopping) / 1000).toFixed(1)} s`,
      );
    }
  }
  return {
    steps: [],
    tables: tables(ctx, results),
    data: { idle: results },
  };
}

/** Connects the population to every node at once, holds, and samples the servers and the workers. */
async function measure(
  ctx: ScenarioContext,
  cluster: RunningCluster,
  population: Population,
  tokens: Map<string, string> | undefined,
  firstSocket: number,
): Promise<IdleResult> {
  const { options } = ctx;
  const { nodes } = cluster;
  // User i goes to node i mod N; each worker keeps its users, split per node.
  const nodeOf = (id: string) => Number(id.slice(1)) % nodes.length;
  const shares: Population[] = nodes.map((_, k) => ({
    workers: population.workers,
    users: population.users.map((list) => list.filter((id) => nodeOf(id) === k)),
  }));
  const requested = shares.map((share) => share.users.reduce((sum, list) => sum + list.length, 0));
  const before = await Promise.all(nodes.map((node) => node.server.sample()));
  const deadline = Date.now() + options.connectMaxSec * 1000;
  const started = performance.now();
  const progress = logProgress(ctx, cluster, population, options.connections);
  let connects: ConnectResult[];
  try {
    connects = await Promise.all(
      nodes.map((node, k) =>
        connectTarget(shares[k] as Population, node, tokens, undefined, {
          concurrency: Math.max(1, Math.ceil(options.concurrency / nodes.length)),
          timeoutMs: options.connectTimeoutMs,
          firstSocket: firstSocket + requested.slice(0, k).reduce((sum, n) => sum + n, 0),
          deadline,
        }),
      ),
    );
  } finally {
    progress.stop();
  }
  const connectMs = performance.now() - started;
  await Promise.all(nodes.map((node) => node.server.loopLag())); // resets the lag histograms
  const held = await Promise.all(nodes.map((node) => node.server.sample()));
  await sleep(options.holdMs);
  const after = await Promise.all(nodes.map((node) => node.server.sample()));
  const lags = await Promise.all(nodes.map((node) => node.server.loopLag()));
  const open = await Promise.all(nodes.map((node) => openSockets(population, node)));
  const workerRss = await Promise.all(
    population.workers.map((worker) => sampleProc(worker.pid).then((s) => s.rssBytes)),
  );

  const perNode = nodes.map((node, k): NodeResult => {
    const connect = connects[k] as ConnectResult;
    const growth = (after[k] as ProcSample).rssBytes - (before[k] as ProcSample).rssBytes;
    const lag = lags[k];
    return {
      node: k + 1,
      port: node.server.port,
      requested: requested[k] ?? 0,
      connected: connect.connected,
      failed: connect.failed,
      openAfterHold: open[k] ?? 0,
      connectMs: Math.round(connect.ms),
      rssBeforeMb: mb((before[k] as ProcSample).rssBytes),
      rssAfterMb: mb((after[k] as ProcSample).rssBytes),
      kibPerConnection: connect.connected > 0 ? oneDecimal(growth / 1024 / connect.connected) : 0,
      cpuPercentHeld: cpuPercent(held[k] as ProcSample, after[k] as ProcSample, options.holdMs),
      loopLagP99Ms: lag === undefined ? null : oneDecimal(lag.p99Ms),
      errors: connect.errors,
    };
  });
  const sum = (values: number[]) => values.reduce((total, v) => total + v, 0);
  const connected = sum(perNode.map((n) => n.connected));
  const growth = sum(after.map((s) => s.rssBytes)) - sum(before.map((s) => s.rssBytes));
  const errors: Record<string, number> = {};
  for (const connect of connects) {
    for (const [key, n] of Object.entries(connect.errors)) errors[key] = (errors[key] ?? 0) + n;
  }
  const knownLags = perNode.flatMap((n) => (n.loopLagP99Ms === null ? [] : [n.loopLagP99Ms]));
  return {
    nodes: nodes.length,
    topology: nodes.length === 1 ? "single" : cluster.shared ? "cluster" : "independent",
    requested: options.connections,
    connected,
    failed: sum(perNode.map((n) => n.failed)),
    openAfterHold: sum(perNode.map((n) => n.openAfterHold)),
    connectMs: Math.round(connectMs),
    rssBeforeMb: mb(sum(before.map((s) => s.rssBytes))),
    rssAfterMb: mb(sum(after.map((s) => s.rssBytes))),
    kibPerConnection: connected > 0 ? oneDecimal(growth / 1024 / connected) : 0,
    cpuPercentHeld: sum(perNode.map((n) => n.cpuPercentHeld)),
    loopLagP99Ms: knownLags.length > 0 ? Math.max(...knownLags) : null,
    errors,
    loadGenerator: {
      workers: population.workers.length,
      rssMb: mb(sum(workerRss)),
      maxWorkerRssMb: mb(Math.max(0, ...workerRss)),
    },
    perNode,
  };
}

function cpuPercent(held: ProcSample, after: ProcSample, holdMs: number): number {
  return Math.round(((after.cpuSeconds - held.cpuSeconds) / (holdMs / 1000)) * 100);
}

/** Sockets of one node still open and past `ready`, over every worker. */
async function openSockets(population: Population, node: RunningTarget): Promise<number> {
  const replies = await Promise.all(
    population.workers.map((worker) =>
      worker.call<{ open: number }>({ cmd: "count", target: node.key }, 30_000),
    ),
  );
  return replies.reduce((sum, r) => sum + r.open, 0);
}

/** Logs the sockets open so far every PROGRESS_EVERY_MS until stopped. */
function logProgress(
  ctx: ScenarioContext,
  cluster: RunningCluster,
  population: Population,
  requested: number,
): { stop(): void } {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    Promise.all(cluster.nodes.map((node) => openSockets(population, node)))
      .then((open) => {
        const total = open.reduce((sum, n) => sum + n, 0);
        ctx.log(`idle ${cluster.name}: ${total}/${requested} open (per node ${open.join(", ")})`);
      })
      .catch(() => {})
      .finally(() => {
        busy = false;
      });
  }, PROGRESS_EVERY_MS);
  return { stop: () => clearInterval(timer) };
}

type Row = (string | number | null | undefined)[];

/** The cells of {@link HELD_COLUMNS}. */
function heldCells(r: HeldFigures): Row {
  return [
    `${r.connected}/${r.requested}`,
    r.failed,
    r.openAfterHold,
    (r.connectMs / 1000).toFixed(1),
    r.rssBeforeMb,
    r.rssAfterMb,
    r.kibPerConnection,
    r.cpuPercentHeld,
    r.loopLagP99Ms,
  ];
}

function tables(
  ctx: ScenarioContext,
  results: Record<string, IdleResult>,
): ScenarioResult["tables"] {
  const { options } = ctx;
  const ws = results.ws?.kibPerConnection;
  const totals: Row[] = [["target", "nodes", ...HELD_COLUMNS, "loadgen MB (max worker)", "vs ws"]];
  const nodeRows: Row[] = [["target", "node", "port", ...HELD_COLUMNS]];
  const errorRows: Row[] = [["target", "count", "error"]];
  for (const [name, r] of Object.entries(results)) {
    totals.push([
      name,
      r.topology === "single" ? 1 : `${r.nodes} ${r.topology}`,
      ...heldCells(r),
      `${r.loadGenerator.rssMb} (${r.loadGenerator.maxWorkerRssMb})`,
      name === "ws" || !ws ? "" : `${(r.kibPerConnection / ws).toFixed(2)}x`,
    ]);
    for (const n of r.perNode) nodeRows.push([name, n.node, n.port, ...heldCells(n)]);
    const kinds = Object.entries(r.errors).sort((a, b) => b[1] - a[1]);
    for (const [error, count] of kinds.slice(0, ERROR_ROWS)) errorRows.push([name, count, error]);
    const rest = kinds.slice(ERROR_ROWS).reduce((sum, [, count]) => sum + count, 0);
    if (rest > 0) errorRows.push([name, rest, "other"]);
  }
  const spread =
    options.nodes > 1
      ? ` over ${options.nodes} nodes per target (full: one cluster sharing PostgreSQL, Redis and RabbitMQ; embedded, ws, socketio: independent processes)`
      : "";
  const out: ScenarioResult["tables"] = [
    {
      title: `idle: ${options.connections} connections${spread}, held ${options.holdMs} ms`,
      rows: totals,
    },
  ];
  if (options.nodes > 1) out.push({ title: "idle: per node", rows: nodeRows });
  if (errorRows.length > 1) out.push({ title: "idle: connect errors", rows: errorRows });
  return out;
}
