import { beforeAll, expect, it } from "vitest";
import type { Storage } from "../contracts/storage.js";
import { uid } from "./fixtures.js";
import { directDraft } from "./storage-fixtures.js";
import { runStorageSuites, type StorageSuite, type StorageSuiteOptions } from "./storage-suite.js";

/** The `Storage` lifecycle tests: `ping`, and a `close` that is idempotent and leaves other instances working. */
export const storageLifecycleSuite: StorageSuite = {
  name: "lifecycle",
  tests(context) {
    let storage: Storage;
    beforeAll(() => {
      storage = context.storage;
    });

    it("ping answers true; close is idempotent and leaves other instances working", async () => {
      const extra = await context.open();
      expect(await extra.ping(), "ping() of an open storage").toBe(true);
      await extra.close();
      await extra.close();
      expect(await storage.ping(), "another instance after one closed").toBe(true);
      const result = await context.append(directDraft(uid("alice"), uid("bob")));
      expect(result.created, "another instance still appends after one closed").toBe(true);
    });
  },
};

/**
 * The conformance suite of the `Storage` lifecycle (`ping`, `close`). Runs
 * alone; `storageConformance` runs it with the other storage suites.
 */
export function storageLifecycleConformance(options: StorageSuiteOptions): void {
  runStorageSuites(`${options.name} lifecycle conformance`, [storageLifecycleSuite], options);
}
