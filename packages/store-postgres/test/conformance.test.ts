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
import { createPostgresStore } from "../src/index.js";
import { dropSchema, pgUrl, testSchema } from "./helpers.js";

const schemas = {
  batched: testSchema("conf_gc"),
  single: testSchema("conf_single"),
  people: testSchema("conf_people"),
  changes: testSchema("conf_changes"),
};

describe.runIf(pgUrl)("store-postgres", () => {
  // Each create() is its own pool, as two nodes would have; all share the schema.
  storageConformance({
    name: "postgres (group commit)",
    create: () =>
      createPostgresStore({ connectionString: pgUrl!, schema: schemas.batched, maxConnections: 4 }),
    destroy: (storage) => storage.close(),
  });

  storageConformance({
    name: "postgres (group commit and read batching off)",
    create: () =>
      createPostgresStore({
        connectionString: pgUrl!,
        schema: schemas.single,
        maxConnections: 4,
        groupCommit: false,
        readBatch: false,
      }),
    destroy: (storage) => storage.close(),
  });

  // The people stores, one suite per contract, on a schema of their own.
  const people = {
    name: "postgres",
    create: () =>
      createPostgresStore({ connectionString: pgUrl!, schema: schemas.people, maxConnections: 4 }),
    destroy: (storage: { close(): Promise<void> }) => storage.close(),
  };
  contactStoreConformance(people);
  profileStoreConformance(people);
  conversationSettingsConformance(people);
  moderationStoreConformance(people);

  // Its own schema: it claims change outbox entries, which the storage suite's outbox tests do not expect.
  messageChangeConformance({
    name: "postgres",
    create: () =>
      createPostgresStore({ connectionString: pgUrl!, schema: schemas.changes, maxConnections: 4 }),
    createWithLimits: (messageChanges) =>
      createPostgresStore({
        connectionString: pgUrl!,
        schema: schemas.changes,
        maxConnections: 2,
        messageChanges,
      }),
    destroy: (storage) => storage.close(),
  });

  groupJoinConformance({
    name: "postgres",
    create: () =>
      createPostgresStore({ connectionString: pgUrl!, schema: schemas.batched, maxConnections: 4 }),
    destroy: (storage) => storage.close(),
  });

  afterAll(async () => {
    await dropSchema(schemas.people);
    await dropSchema(schemas.changes);
    await dropSchema(schemas.batched);
    await dropSchema(schemas.single);
  });
});
