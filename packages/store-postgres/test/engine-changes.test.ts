import { describe } from "vitest";
import { describeEngineChanges } from "../../../test/engine-change-scenarios.js";
import { createPostgresStore } from "../src/index.js";
import { dropSchema, pgUrl, testSchema } from "./helpers.js";

describe.runIf(pgUrl)("store-postgres", () => {
  describeEngineChanges("PostgreSQL store", async () => {
    const schema = testSchema("changes");
    const storage = await createPostgresStore({
      url: pgUrl!,
      schema,
      maxConnections: 2,
      // The relay publishes the recall's change soon (the fast path does not know its outbox id).
      outboxGraceMs: 200,
    });
    // The engine closes the store; then the schema goes.
    return { storage, cleanup: () => dropSchema(schema) };
  });
});
