import { storageConformance } from "@lucky-im/core/testing";
import { afterAll, describe } from "vitest";
import { createPostgresStore } from "../src/index.js";
import { dropSchema, pgUrl, testSchema } from "./helpers.js";

const schemas = {
  batched: testSchema("conf_gc"),
  single: testSchema("conf_single"),
};

describe.runIf(pgUrl)("store-postgres", () => {
  // Each create() is its own pool, as two nodes would have; all share the schema.
  // Every storage suite (messages to message changes, moderation included) runs through this one entry point.
  storageConformance({
    name: "postgres (group commit)",
    create: () => createPostgresStore({ url: pgUrl!, schema: schemas.batched, maxConnections: 4 }),
    createWithLimits: (messageChanges) =>
      createPostgresStore({
        url: pgUrl!,
        schema: schemas.batched,
        maxConnections: 2,
        messageChanges,
      }),
    destroy: (storage) => storage.close(),
  });

  storageConformance({
    name: "postgres (group commit and read batching off)",
    create: () =>
      createPostgresStore({
        url: pgUrl!,
        schema: schemas.single,
        maxConnections: 4,
        groupCommit: false,
        readBatch: false,
      }),
    createWithLimits: (messageChanges) =>
      createPostgresStore({
        url: pgUrl!,
        schema: schemas.single,
        maxConnections: 2,
        groupCommit: false,
        readBatch: false,
        messageChanges,
      }),
    destroy: (storage) => storage.close(),
  });

  afterAll(async () => {
    await dropSchema(schemas.batched);
    await dropSchema(schemas.single);
  });
});
