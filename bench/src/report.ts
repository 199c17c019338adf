/** Terminal tables, the JSON file and the SVG chart of a run. */
import type { StepResult } from "./population.js";

/** A fixed-width table: the first row is the header. */
export function table(rows: (string | number | null | undefined)[][]): string {
  const text = rows.map((row) =>
    row.map((cell) => (cell === null || cell === undefined ? "-" : String(cell))),
  );
  const widths =
    text[0]?.map((_, i) => Math.max(...text.map((row) => (row[i] ?? "").length))) ?? [];
  const line = (row: string[]) => row.map((cell, i) => cell.padStart(widths[i] ?? 0)).join("  ");
  const [header, ...body] = text;
  if (!header) return "";
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

export function stepTable(steps: StepResult[]): string {
  // Only runs under callgrind count instructions (callgrind.ts).
  const counted = steps.some((s) => s.kiloInstructionsPerMessage !== undefined);
  return table([
    [
      "target",
      "phase",
      "offered/s",
      "delivered/s",
      "sent p50",
      "sent p99",
      "dlv p50",
      "dlv p90",
      "dlv p99",
      "dlv p99.9",
      "dlv max",
      "cpu%",
      "cpu µs/msg",
      ...(counted ? ["kinstr/msg"] : []),
      "svc cpu%",
      "+svc µs/msg",
      "rss MB",
      "lag p99",
      "lag max",
      "gen lag max",
      "drained",
    ],
    ...steps.map((s) => [
      s.target,
      s.phase,
      s.offered,
      s.delivered,
      s.sendToSent.p50,
      s.sendToSent.p99,
      s.sendToDelivered.p50,
      s.sendToDelivered.p90,
      s.sendToDelivered.p99,
      s.sendToDelivered.p999,
      s.sendToDelivered.max,
      s.cpuPercent,
      s.cpuUsPerMessage,
      ...(counted ? [s.kiloInstructionsPerMessage] : []),
      s.servicesCpuPercent,
      s.totalCpuUsPerMessage,
      s.maxRssMb,
      s.loopLagP99Ms,
      s.loopLagMaxMs,
      Math.round(s.counters.maxLoopLagMs),
      s.drained ? "yes" : `NO (${s.counters.delivered}/${s.counters.expected})`,
    ]),
  ]);
}

/** The best step of a target: highest delivered rate with p99 within the SLO and the backlog drained. */
export function bestStep(
  steps: StepResult[],
  target: string,
  phase: string,
  sloMs: number,
): StepResult | undefined {
  return steps
    .filter(
      (s) =>
        s.target === target && s.phase === phase && s.drained && s.sendToDelivered.p99 <= sloMs,
    )
    .sort((a, b) => b.delivered - a.delivered)[0];
}

export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || b === 0) return "-";
  return `${(a / b).toFixed(2)}x`;
}

/** Summary per phase: best rate within the SLO, its CPU per message, and ratios against the baselines. */
export function summaryTable(steps: StepResult[], sloMs: number) {
  const rows: (string | number | undefined)[][] = [
    [
      "phase",
      "target",
      `max delivered/s (p99<=${sloMs}ms)`,
      "cpu µs/msg there",
      "vs ws",
      "vs socketio",
      "vs socketio-acks",
    ],
  ];
  const summary: Record<
    string,
    Record<string, { delivered?: number; cpuUsPerMessage?: number }>
  > = {};
  const phases = [...new Set(steps.map((s) => s.phase))];
  for (const phase of phases) {
    summary[phase] = {};
    const targets = [...new Set(steps.filter((s) => s.phase === phase).map((s) => s.target))];
    const best = Object.fromEntries(targets.map((t) => [t, bestStep(steps, t, phase, sloMs)]));
    for (const t of targets) {
      const b = best[t];
      (summary[phase] as Record<string, unknown>)[t] = {
        delivered: b?.delivered,
        cpuUsPerMessage: b?.cpuUsPerMessage,
      };
      rows.push([
        phase,
        t,
        b?.delivered ?? "none",
        b?.cpuUsPerMessage,
        t === "ws" ? "" : ratio(b?.delivered, best.ws?.delivered),
        t === "socketio" ? "" : ratio(b?.delivered, best.socketio?.delivered),
        t === "socketio-acks" ? "" : ratio(b?.delivered, best["socketio-acks"]?.delivered),
      ]);
    }
  }
  return { text: table(rows), summary };
}

const COLORS: Record<string, string> = {
  embedded: "#1f77b4",
  "embedded-v1": "#17becf",
  "embedded-base": "#aec7e8",
  sqlite: "#ff7f0e",
  postgres: "#8c564b",
  full: "#9467bd",
  ws: "#2ca02c",
  socketio: "#d62728",
  "socketio-acks": "#e377c2",
};

function escapeXml(text: string): string {
  return text.replace(
    /[<>&"]/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c] ?? c,
  );
}

/**
 * Latency percentiles (p50 dashed, p99 solid, log scale) against the delivered
 * rate, one colour per target, one chart per phase side by side. Hand-written SVG.
 */
export function latencyChart(steps: StepResult[], title: string, subtitle: string): string {
  const phases = [...new Set(steps.map((s) => s.phase))];
  const panelW = 520;
  const panelH = 340;
  const margin = { left: 64, right: 16, top: 64, bottom: 56 };
  const width = phases.length * (panelW + margin.left + margin.right);
  const height = panelH + margin.top + margin.bottom + 24;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="12" y="20" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="12" y="38" fill="#555">${escapeXml(subtitle)}</text>`,
  ];
  phases.forEach((phase, p) => {
    const ox = p * (panelW + margin.left + margin.right) + margin.left;
    const oy = margin.top;
    const points = steps.filter((s) => s.phase === phase && s.counters.delivered > 0);
    const maxX = Math.max(1, ...points.map((s) => s.delivered)) * 1.05;
    const values = points
      .flatMap((s) => [s.sendToDelivered.p50, s.sendToDelivered.p99])
      .filter((v) => v > 0);
    const minY = 10 ** Math.floor(Math.log10(Math.max(0.01, Math.min(1, ...values))));
    const maxY = 10 ** Math.ceil(Math.log10(Math.max(10, ...values)));
    const x = (v: number) => ox + (v / maxX) * panelW;
    const y = (v: number) =>
      oy +
      panelH -
      ((Math.log10(Math.max(v, minY)) - Math.log10(minY)) / (Math.log10(maxY) - Math.log10(minY))) *
        panelH;
    parts.push(`<text x="${ox}" y="${oy - 8}" font-weight="bold">${escapeXml(phase)}</text>`);
    parts.push(
      `<rect x="${ox}" y="${oy}" width="${panelW}" height="${panelH}" fill="none" stroke="#999"/>`,
    );
    for (let decade = minY; decade <= maxY * 1.001; decade *= 10) {
      parts.push(
        `<line x1="${ox}" x2="${ox + panelW}" y1="${y(decade)}" y2="${y(decade)}" stroke="#eee"/>`,
      );
      parts.push(
        `<text x="${ox - 6}" y="${y(decade) + 4}" text-anchor="end">${decade >= 1 ? decade : decade.toPrecision(1)} ms</text>`,
      );
    }
    const tickStep =
      10 ** Math.floor(Math.log10(maxX / 2)) *
      (maxX / 10 ** Math.floor(Math.log10(maxX)) > 5 ? 2 : 1);
    for (let t = 0; t <= maxX; t += tickStep) {
      parts.push(
        `<line x1="${x(t)}" x2="${x(t)}" y1="${oy + panelH}" y2="${oy + panelH + 4}" stroke="#999"/>`,
      );
      parts.push(
        `<text x="${x(t)}" y="${oy + panelH + 18}" text-anchor="middle">${t >= 1000 ? `${t / 1000}k` : t}</text>`,
      );
    }
    parts.push(
      `<text x="${ox + panelW / 2}" y="${oy + panelH + 38}" text-anchor="middle">delivered messages/s</text>`,
    );
    const targets = [...new Set(points.map((s) => s.target))];
    targets.forEach((target, i) => {
      const color = COLORS[target] ?? "#333";
      const series = points
        .filter((s) => s.target === target)
        .sort((a, b) => a.delivered - b.delivered);
      for (const [key, dash] of [
        ["p99", ""],
        ["p50", ' stroke-dasharray="5,4"'],
      ] as const) {
        const path = series
          .map((s) => `${x(s.delivered).toFixed(1)},${y(s.sendToDelivered[key]).toFixed(1)}`)
          .join(" ");
        parts.push(
          `<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`,
        );
        for (const s of series) {
          const fill = s.drained ? color : "white";
          parts.push(
            `<circle cx="${x(s.delivered).toFixed(1)}" cy="${y(s.sendToDelivered[key]).toFixed(1)}" r="3" fill="${fill}" stroke="${color}"/>`,
          );
        }
      }
      parts.push(
        `<line x1="${ox + 12}" x2="${ox + 36}" y1="${oy + 16 + i * 16}" y2="${oy + 16 + i * 16}" stroke="${color}" stroke-width="2"/>`,
      );
      parts.push(`<text x="${ox + 42}" y="${oy + 20 + i * 16}">${escapeXml(target)}</text>`);
    });
  });
  parts.push(
    `<text x="12" y="${height - 8}" fill="#555">send-to-delivered latency: solid p99, dashed p50; hollow dot: backlog not drained</text>`,
  );
  parts.push("</svg>");
  return parts.join("\n");
}
