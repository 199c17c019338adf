import {
  contactStoreConformance,
  conversationSettingsConformance,
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

  afterAll(async () => {
    await dropSchema(schemas.people);
    await dropSchema(schemas.batched);
    await dropSchema(schemas.single);
  });
});
