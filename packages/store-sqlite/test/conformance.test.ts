import { join } from "node:path";
import { groupJoinConformance, storageConformance } from "@lucky-im/core/testing";
import { afterAll, describe } from "vitest";
import { createSqliteStore } from "../src/index.js";
import { tempDir } from "./helpers.js";

const temp = tempDir();

describe("store-sqlite", () => {
  // Each create() is its own connection to one file, as two processes would have.
  storageConformance({
    name: "sqlite (group commit)",
    create: () => createSqliteStore({ path: join(temp.dir, "batched.sqlite") }),
    destroy: (storage) => storage.close(),
  });

  storageConformance({
    name: "sqlite (group commit off)",
    create: () => createSqliteStore({ path: join(temp.dir, "single.sqlite"), groupCommit: false }),
    destroy: (storage) => storage.close(),
  });

  groupJoinConformance({
    name: "sqlite",
    create: () => createSqliteStore({ path: join(temp.dir, "batched.sqlite") }),
    destroy: (storage) => storage.close(),
  });

  afterAll(() => temp.remove());
});
