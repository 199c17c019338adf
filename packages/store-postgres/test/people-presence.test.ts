import { describe } from "vitest";
import { describePeoplePresence } from "../../../test/people-presence-scenarios.js";
import { createPostgresStore } from "../src/index.js";
import { dropSchema, pgUrl, testSchema } from "./helpers.js";

describe.runIf(pgUrl)("store-postgres", () => {
  describePeoplePresence("PostgreSQL store", async () => {
    const schema = testSchema("people");
    const storage = await createPostgresStore({
      url: pgUrl!,
      schema,
      maxConnections: 4,
    });
    // The engine closes the store; then the schema goes.
    return { storage, cleanup: () => dropSchema(schema) };
  });
});
