/**
 * Lucky IM load generator: `npm run bench -- <scenario> [options]` (see
 * README.md). Starts each server under test as its own process, drives it
 * with WebSocket clients held by load-generator worker processes, and writes
 * a table, a JSON file and an SVG chart.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { marginalCpu } from "./marginal-cpu.js";
import { type BenchOptions, parseOptions } from "./options.js";
import { checkCpuRatios } from "./regression-check.js";
import { latencyChart, stepTable, summaryTable, table } from "./report.js";
import type { ScenarioContext, ScenarioResult } from "./scenarios/context.js";
import { runDirect } from "./scenarios/direct.js";
import { runGroup } from "./scenarios/group.js";
import { runIdle } from "./scenarios/idle.js";
import { runReconnect } from "./scenarios/reconnect.js";
import { newJwtSecret } from "./targets.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 2;
    return;
  }
  const outDir = resolve(repoRoot, options.outDir);
  await mkdir(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const runId = `${options.scenario}-${stamp}`;
  const startedAt = Date.now();
  const deadline = startedAt + options.maxTotalSec * 1000;
  const machine = `${cpus().length} x ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
  const command = `npm run bench -- ${process.argv.slice(2).join(" ")}`;
  const ctx: ScenarioContext = {
    options,
    targetContext: {
      repoRoot,
      outDir,
      runId,
      jwtSecret: newJwtSecret(),
      luckyPerIp: options.luckyPerIp,
      ...(options.memoryRetention !== undefined
        ? { memoryRetention: options.memoryRetention }
        : {}),
      ...(options.memoryMaxAgeMs !== undefined ? { memoryMaxAgeMs: options.memoryMaxAgeMs } : {}),
      ...(options.baseRoot !== undefined ? { baseRoot: options.baseRoot } : {}),
      services: {
        postgresUrl:
          process.env.LUCKY_IM_BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test",
        amqpUrl: process.env.LUCKY_IM_BENCH_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672",
        redisUrl: process.env.LUCKY_IM_BENCH_REDIS_URL ?? "redis://127.0.0.1:6379",
      },
    },
    timeLeftMs: () => deadline - Date.now(),
    log: (line) =>
      console.log(`[bench ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)}s] ${line}`),
  };
  ctx.log(
    `${options.scenario}: targets ${options.targets.join(", ")}, ${options.connections} connections; ${machine}`,
  );

  const runners: Record<BenchOptions["scenario"], (c: ScenarioContext) => Promise<ScenarioResult>> =
    {
      direct: runDirect,
      group: runGroup,
      idle: runIdle,
      reconnect: runReconnect,
    };
  const result = await runners[options.scenario](ctx);

  console.log("");
  console.log(`${options.scenario} — ${machine}`);
  console.log(`command: ${command}`);
  let summary: unknown;
  if (result.steps.length > 0) {
    console.log(
      "\nlatencies in ms (send -> sent, send -> delivered, from the intended send time); cpu and rss of the server process",
    );
    console.log(stepTable(result.steps));
    const s = summaryTable(result.steps, options.sloMs);
    const marginal = marginalCpu(result.steps);
    summary = { ...s.summary, marginalCpu: marginal };
    console.log(`\n${s.text}`);
    if (marginal.length > 0) {
      console.log(
        "\nmarginal CPU per message: least-squares slope of CPU over delivered rate, drained steps under 90 % CPU (fixed costs left out; averages above)",
      );
      const counted = marginal.some((m) => m.kiloInstructionsPerMessage !== undefined);
      console.log(
        table([
          [
            "phase",
            "target",
            "steps",
            "from/s",
            "to/s",
            "server µs/msg",
            "+svc µs/msg",
            ...(counted ? ["kinstr/msg"] : []),
          ],
          ...marginal.map((m) => [
            m.phase,
            m.target,
            m.steps,
            m.fromDelivered,
            m.toDelivered,
            m.serverUsPerMessage,
            m.totalUsPerMessage,
            ...(counted ? [m.kiloInstructionsPerMessage] : []),
          ]),
        ]),
      );
    }
  }
  if (options.maxCpuRatio !== undefined) {
    const findings = checkCpuRatios(result.steps, options.ratioBaseline, options.maxCpuRatio);
    console.log(
      `\nregression check: CPU per message vs ${options.ratioBaseline} in this run, at most ${options.maxCpuRatio}x`,
    );
    console.log(
      table([
        ["phase", "target", "cpu µs/msg", `${options.ratioBaseline} µs/msg`, "ratio", "ok"],
        ...findings.map((f) => [
          f.phase,
          f.target,
          f.cpuUsPerMessage,
          f.baselineCpuUsPerMessage,
          `${f.ratio}x`,
          f.ok ? "yes" : "NO",
        ]),
      ]),
    );
    if (findings.some((f) => !f.ok)) process.exitCode = 1;
  }
  for (const t of result.tables) {
    console.log(`\n${t.title}`);
    console.log(table(t.rows));
  }
  const json = join(outDir, `${runId}.json`);
  await writeFile(
    json,
    `${JSON.stringify({ scenario: options.scenario, machine, command, options, startedAt: new Date(startedAt).toISOString(), summary, steps: result.steps, ...result.data }, null, 2)}\n`,
  );
  console.log(`\nJSON: ${json}`);
  if (result.steps.length > 0) {
    const svg = latencyChart(
      result.steps,
      `Lucky IM bench: ${options.scenario}, ${options.connections} connections`,
      `${machine} — ${command}`,
    );
    const file = join(outDir, `${runId}.svg`);
    await writeFile(file, svg);
    console.log(`SVG: ${file}`);
    if (options.svg) {
      const copy = resolve(repoRoot, options.svg);
      await mkdir(dirname(copy), { recursive: true });
      await writeFile(copy, svg);
      console.log(`SVG: ${copy}`);
    }
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
