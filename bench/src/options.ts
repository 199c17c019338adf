/** Command-line options of `npm run bench -- <scenario> [options]`. */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { TARGET_NAMES, type TargetName } from "./targets.js";

export const SCENARIOS = ["direct", "group", "idle", "reconnect"] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface BenchOptions {
  scenario: Scenario;
  targets: TargetName[];
  connections: number;
  /** Sends per second per step (direct; group: per phase below). */
  rates: number[];
  groupRates10: number[];
  /** Sends per second per step to the big group (its size: {@link BenchOptions.groupSize}). */
  groupRates500: number[];
  /** Members of the big group of the `group` scenario, owner included. */
  groupSize: number;
  durationMs: number;
  /** Unreported step per target before the measured ones (rate scenarios), ms; 0: none. */
  warmupMs: number;
  drainMs: number;
  sloMs: number;
  concurrency: number;
  connectTimeoutMs: number;
  luckyPerIp: number;
  holdMs: number;
  /** idle: server processes of each target, the connections spread over them. */
  nodes: number;
  /** idle: no handshake starts this long after the connect phase began. */
  connectMaxSec: number;
  messages: number;
  maxTotalSec: number;
  outDir: string;
  svg?: string;
  /** Fail (exit 1) when a target's CPU per message exceeds this multiple of the baseline's. */
  maxCpuRatio?: number;
  /** The baseline target of `maxCpuRatio`. */
  ratioBaseline: TargetName;
  /** `embedded-base`: another checkout (built), run beside this one's `embedded`. */
  baseRoot?: string;
  /** embedded: the memory store keeps at most this many messages per conversation (unset: all). */
  memoryRetention?: number;
  /** embedded: the memory store drops messages older than this many ms (unset: none). */
  memoryMaxAgeMs?: number;
}

const DEFAULTS: Record<Scenario, { connections: number; targets: TargetName[] }> = {
  direct: { connections: 1000, targets: ["embedded", "ws", "socketio", "socketio-acks"] },
  group: { connections: 1000, targets: ["embedded", "ws", "socketio"] },
  idle: { connections: 5000, targets: ["embedded", "ws", "socketio"] },
  reconnect: { connections: 2000, targets: ["embedded", "ws", "socketio"] },
};

export const USAGE = `usage: npm run bench -- <${SCENARIOS.join("|")}> [options]
  --targets a,b         ${TARGET_NAMES.join(", ")} (default embedded,ws,socketio; direct also socketio-acks)
  --connections N       clients (direct/group 1000, idle 5000, reconnect 2000)
  --rates r1,r2         direct: sends/s per step (default 2000,5000,10000,20000,30000)
  --group10-rates ...   group: sends/s to groups of 10 (default 500,1000,2000,3000)
  --group500-rates ...  group: sends/s to the big group (default 10,25,50,100)
  --group-size N        group: members of the big group, owner included (default 500; phase group<N>;
                        connections are raised to N + 10)
  --duration-ms N       length of a step's send window (default 5000)
  --warmup-ms N         rate scenarios: an unreported step per target at the first rate first (default 3000; 0: none)
  --drain-ms N          longest wait for the backlog after a step (default 10000)
  --slo-ms N            p99 bound of the summary (default 50)
  --concurrency N       handshakes in flight (default 200)
  --connect-timeout-ms N  one handshake's limit, up to the server's ready (default 30000)
  --lucky-per-ip N      sockets per loopback source address, every target (default 900)
  --hold-ms N           idle: how long connections are held before measuring (default 5000)
  --nodes N             server processes per target, connections spread over them (default 1).
                        idle: full is one cluster, the others independent servers; direct, group:
                        full only (one cluster; CPU and RSS summed over the nodes)
  --connect-max-s N     idle: no handshake starts after this many s of connecting (default 900)
  --messages N          reconnect: un-acked messages per client before the drop (default 2)
  --max-total-s N       stop starting new steps after this (default 1200)
  --out DIR             output folder (default .out/bench)
  --svg FILE            also write the chart there (e.g. docs/benchmarks/direct.svg)
  --max-cpu-ratio N     fail (exit 1) when a target's CPU per message is above N x the baseline's
  --ratio-baseline T    the baseline of --max-cpu-ratio (default ws), one of --targets
  --base-root DIR       embedded-base: run DIR's built example server (another checkout, e.g.
                        main before a change) with embedded's settings, to compare two builds
  --memory-retention N  embedded: the memory store keeps at most N messages per conversation
                        (LUCKY_IM_MEMORY_MAX_MESSAGES; default: every message), to compare RSS
  --memory-max-age-ms N embedded: the memory store drops messages older than N ms
                        (LUCKY_IM_MEMORY_MAX_AGE_MS; default: none)`;

const numbers = (text: string | undefined, fallback: number[]) =>
  text
    ? text
        .split(",")
        .map((v) => Number(v.trim()))
        .filter((v) => v > 0)
    : fallback;

export function parseOptions(argv: string[]): BenchOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      targets: { type: "string" },
      connections: { type: "string" },
      rates: { type: "string" },
      "group10-rates": { type: "string" },
      "group500-rates": { type: "string" },
      "group-size": { type: "string" },
      "duration-ms": { type: "string" },
      "drain-ms": { type: "string" },
      "warmup-ms": { type: "string" },
      "slo-ms": { type: "string" },
      concurrency: { type: "string" },
      "connect-timeout-ms": { type: "string" },
      "lucky-per-ip": { type: "string" },
      "hold-ms": { type: "string" },
      nodes: { type: "string" },
      "connect-max-s": { type: "string" },
      messages: { type: "string" },
      "max-total-s": { type: "string" },
      out: { type: "string" },
      svg: { type: "string" },
      "max-cpu-ratio": { type: "string" },
      "ratio-baseline": { type: "string" },
      "memory-retention": { type: "string" },
      "base-root": { type: "string" },
      "memory-max-age-ms": { type: "string" },
      help: { type: "boolean" },
    },
  });
  const scenario = positionals[0] as Scenario | undefined;
  if (values.help || !scenario || !SCENARIOS.includes(scenario)) throw new Error(USAGE);
  const targets = (values.targets?.split(",").map((t) => t.trim()) ??
    DEFAULTS[scenario].targets) as TargetName[];
  for (const t of targets)
    if (!TARGET_NAMES.includes(t)) throw new Error(`unknown target ${t}\n${USAGE}`);
  const int = (text: string | undefined, fallback: number) => (text ? Number(text) : fallback);
  const nodes = int(values.nodes, 1);
  const groupSize = int(values["group-size"], 500);
  if (!Number.isInteger(groupSize) || groupSize < 2)
    throw new Error(`--group-size must be an integer >= 2\n${USAGE}`);
  if (!Number.isInteger(nodes) || nodes < 1) throw new Error(`--nodes must be >= 1\n${USAGE}`);
  const maxCpuRatio = values["max-cpu-ratio"] ? Number(values["max-cpu-ratio"]) : undefined;
  if (maxCpuRatio !== undefined && !(maxCpuRatio > 0))
    throw new Error(`--max-cpu-ratio must be a number > 0\n${USAGE}`);
  const ratioBaseline = (values["ratio-baseline"] ?? "ws") as TargetName;
  const memoryRetention = values["memory-retention"]
    ? Number(values["memory-retention"])
    : undefined;
  if (memoryRetention !== undefined && !(Number.isInteger(memoryRetention) && memoryRetention >= 1))
    throw new Error(`--memory-retention must be an integer >= 1\n${USAGE}`);
  const memoryMaxAgeMs = values["memory-max-age-ms"]
    ? Number(values["memory-max-age-ms"])
    : undefined;
  if (memoryMaxAgeMs !== undefined && !(Number.isInteger(memoryMaxAgeMs) && memoryMaxAgeMs >= 1))
    throw new Error(`--memory-max-age-ms must be an integer >= 1\n${USAGE}`);
  if (targets.includes("embedded-base") && !values["base-root"])
    throw new Error(`--targets embedded-base needs --base-root DIR\n${USAGE}`);
  if (maxCpuRatio !== undefined && !targets.includes(ratioBaseline))
    throw new Error(`--ratio-baseline ${ratioBaseline} must be one of --targets\n${USAGE}`);
  return {
    scenario,
    targets,
    connections: int(values.connections, DEFAULTS[scenario].connections),
    rates: numbers(values.rates, [2000, 5000, 10000, 20000, 30000]),
    groupRates10: numbers(values["group10-rates"], [500, 1000, 2000, 3000]),
    groupRates500: numbers(values["group500-rates"], [10, 25, 50, 100]),
    groupSize,
    durationMs: int(values["duration-ms"], 5000),
    drainMs: int(values["drain-ms"], 10_000),
    warmupMs: int(values["warmup-ms"], 3000),
    sloMs: int(values["slo-ms"], 50),
    concurrency: int(values.concurrency, 200),
    connectTimeoutMs: int(values["connect-timeout-ms"], 30_000),
    luckyPerIp: int(values["lucky-per-ip"], 900),
    holdMs: int(values["hold-ms"], 5000),
    nodes,
    connectMaxSec: int(values["connect-max-s"], 900),
    messages: int(values.messages, 2),
    maxTotalSec: int(values["max-total-s"], 1200),
    outDir: values.out ?? ".out/bench",
    ratioBaseline,
    ...(maxCpuRatio !== undefined ? { maxCpuRatio } : {}),
    ...(memoryRetention !== undefined ? { memoryRetention } : {}),
    ...(values["base-root"] ? { baseRoot: resolve(values["base-root"]) } : {}),
    ...(memoryMaxAgeMs !== undefined ? { memoryMaxAgeMs } : {}),
    ...(values.svg ? { svg: values.svg } : {}),
  };
}
