/** What every scenario gets from main. */
import type { BenchOptions } from "../options.js";
import type { StepResult } from "../population.js";
import type { TargetContext } from "../targets.js";

export interface ScenarioContext {
  options: BenchOptions;
  targetContext: TargetContext;
  /** Ms left before --max-total-s: no new step starts after it. */
  timeLeftMs(): number;
  log(line: string): void;
}

export interface ScenarioResult {
  steps: StepResult[];
  /** Extra tables (idle, reconnect) as rows, the first row the header. */
  tables: { title: string; rows: (string | number | null | undefined)[][] }[];
  data: Record<string, unknown>;
}

/** Fisher-Yates with a fixed seed, so runs pair the same users. */
export function shuffle<T>(items: T[], seed = 42): T[] {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
