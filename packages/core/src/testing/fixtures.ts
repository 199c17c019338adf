import { expect } from "vitest";
import { type ErrorCode, hasErrorCode } from "../errors.js";
import { uniqueName } from "./unique-name.js";

/** A unique id for one test: a readable label plus a random suffix (no `:` nor whitespace). */
export const uid: (label: string) => string = uniqueName;

/** Resolves after `ms`: only to let a wrong extra event show up, never to wait for a right one. */
export function settle(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** 1..n */
export function oneTo(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/** Sorted copy. */
export function sorted<T>(values: Iterable<T>): T[] {
  return [...values].sort();
}

/** Awaits a promise that MUST reject with an ImError of `code`; fails with what happened instead. */
export async function expectImError(
  promise: Promise<unknown>,
  code: ErrorCode,
  what: string,
): Promise<void> {
  let outcome: string;
  try {
    await promise;
    outcome = "it resolved";
  } catch (error) {
    if (hasErrorCode(error, code)) return;
    const shown = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const got = (error as { code?: unknown } | null)?.code;
    outcome = `it rejected with code ${JSON.stringify(got)} (${shown})`;
  }
  throw new Error(`${what}: expected a rejection with ImError code "${code}", but ${outcome}`);
}

/**
 * Asserts that `fulfilled` of the settled operations succeeded and every other one was
 * refused with `too_large` (concurrent joins and adds racing for a group's last places).
 */
export function expectCapHeld(
  results: readonly PromiseSettledResult<unknown>[],
  fulfilled: number,
  what: string,
): void {
  expect(
    results.filter((r) => r.status === "fulfilled"),
    what,
  ).toHaveLength(fulfilled);
  for (const r of results) {
    if (r.status === "rejected") expect(r.reason, what).toMatchObject({ code: "too_large" });
  }
}
