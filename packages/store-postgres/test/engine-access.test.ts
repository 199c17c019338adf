import { describe } from "vitest";
import { describeEngineAccess } from "../../../test/engine-access-scenarios.js";
import { createPostgresStore } from "../src/index.js";
import { dropSchema, pgUrl, testSchema } from "./helpers.js";

describe.runIf(pgUrl)("store-postgres", () => {
  describeEngineAccess("PostgreSQL store", async () => {
    const schema = testSchema("access");
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
