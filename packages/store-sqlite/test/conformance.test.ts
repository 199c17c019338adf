import { join } from "node:path";
import { storageConformance } from "@lucky-im/core/testing";
import { afterAll, describe } from "vitest";
import { createSqliteStore } from "../src/index.js";
import { tempDir } from "./helpers.js";

const temp = tempDir();

describe("store-sqlite", () => {
  // Each create() is its own connection to one file, as two processes would have.
  // Every storage suite (messages to message changes, moderation included) runs through this one entry point.
  const batched = join(temp.dir, "batched.sqlite");
  storageConformance({
    name: "sqlite (group commit)",
    create: () => createSqliteStore({ path: batched }),
    createWithLimits: (messageChanges) => createSqliteStore({ path: batched, messageChanges }),
    destroy: (storage) => storage.close(),
  });

  const single = join(temp.dir, "single.sqlite");
  storageConformance({
    name: "sqlite (group commit off)",
    create: () => createSqliteStore({ path: single, groupCommit: false }),
    createWithLimits: (messageChanges) =>
      createSqliteStore({ path: single, groupCommit: false, messageChanges }),
    destroy: (storage) => storage.close(),
  });

  afterAll(() => temp.remove());
});
