import { join } from "node:path";
import {
  contactStoreConformance,
  conversationSettingsConformance,
  groupJoinConformance,
  messageChangeConformance,
  moderationStoreConformance,
  profileStoreConformance,
  storageConformance,
} from "@lucky-im/core/testing";
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

  // The people stores, one suite per contract, on a file of their own.
  const people = {
    name: "sqlite",
    create: () => createSqliteStore({ path: join(temp.dir, "people.sqlite") }),
    destroy: (storage: { close(): Promise<void> }) => storage.close(),
  };
  contactStoreConformance(people);
  profileStoreConformance(people);
  conversationSettingsConformance(people);
  moderationStoreConformance(people);
  // Its own file: it claims change outbox entries, which the storage suite's outbox tests do not expect.
  messageChangeConformance({
    name: "sqlite",
    create: () => createSqliteStore({ path: join(temp.dir, "changes.sqlite") }),
    createWithLimits: (messageChanges) =>
      createSqliteStore({ path: join(temp.dir, "changes.sqlite"), messageChanges }),
    destroy: (storage) => storage.close(),
  });

  groupJoinConformance({
    name: "sqlite",
    create: () => createSqliteStore({ path: join(temp.dir, "batched.sqlite") }),
    destroy: (storage) => storage.close(),
  });

  afterAll(() => temp.remove());
});
