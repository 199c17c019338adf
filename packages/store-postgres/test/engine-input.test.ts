import { describe } from "vitest";
import { describeEngineInput } from "../../../test/engine-input-scenarios.js";
import { createPostgresStore } from "../src/index.js";
import { dropSchema, pgUrl, testSchema } from "./helpers.js";

describe.runIf(pgUrl)("store-postgres", () => {
  describeEngineInput("PostgreSQL store", async () => {
    const schema = testSchema("input");
    const storage = await createPostgresStore({
      url: pgUrl!,
      schema,
      maxConnections: 2,
    });
    // The engine closes the store; then the schema goes.
    return { storage, cleanup: () => dropSchema(schema) };
  });
});
