import { uniqueName } from "@lucky-im/core/testing";
import { afterAll, beforeAll, describe } from "vitest";

/** How an auth store suite gets the store under test. */
export interface AuthStoreSuiteOptions<T> {
  /** Names the stores in the suite's `describe` titles, for example `"postgres"`. */
  name: string;
  /** The store(s) under test, called once before the suite's first test (after the caller's own `beforeAll`). */
  create: () => T | Promise<T>;
  /** Releases what `create` returned, after the suite's last test. */
  destroy?: (stores: T) => void | Promise<void>;
}

/** A fixed "now" far from the real clock: the stores take time as an argument. */
export const T0 = Date.UTC(2030, 0, 1);

/** A unique id for one test. */
export const uid = (label: string): string => uniqueName(label);

/**
 * Registers `tests` in `describe(title)`, with the value `create` returned
 * available to them (through the getter) from `beforeAll` to `afterAll`.
 */
export function runAuthStoreSuite<T>(
  title: string,
  options: AuthStoreSuiteOptions<T>,
  tests: (get: () => T) => void,
): void {
  describe(title, () => {
    let value: T | undefined;
    let created = false;
    beforeAll(async () => {
      value = await options.create();
      created = true;
    });
    afterAll(async () => {
      if (created) await options.destroy?.(value as T);
    });
    tests(() => {
      if (!created) throw new Error("the stores are ready in tests and hooks only");
      return value as T;
    });
  });
}
