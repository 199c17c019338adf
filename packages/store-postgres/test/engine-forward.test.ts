import { describe } from "vitest";
import { describeEngineForward } from "../../../test/engine-forward-scenarios.js";
import { createPostgresStore } from "../src/index.js";
import { dropSchema, pgUrl, testSchema } from "./helpers.js";

describe.runIf(pgUrl)("store-postgres", () => {
  describeEngineForward("PostgreSQL store", async () => {
    const schema = testSchema("forward");
    const storage = await createPostgresStore({
      url: pgUrl!,
      schema,
      maxConnections: 2,
      outboxGraceMs: 200,
    });
    // The engine closes the store; then the schema goes.
    return { storage, cleanup: () => dropSchema(schema) };
  });
});
