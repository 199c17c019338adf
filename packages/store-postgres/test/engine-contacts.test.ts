import { describe } from "vitest";
import { describeEngineContacts } from "../../../test/engine-contact-scenarios.js";
import { createPostgresStore } from "../src/index.js";
import { dropSchema, pgUrl, testSchema } from "./helpers.js";

describe.runIf(pgUrl)("store-postgres", () => {
  describeEngineContacts("PostgreSQL store", async () => {
    const schema = testSchema("contacts");
    const storage = await createPostgresStore({
      url: pgUrl!,
      schema,
      maxConnections: 2,
    });
    // The engine closes the store; then the schema goes.
    return { storage, cleanup: () => dropSchema(schema) };
  });
});
