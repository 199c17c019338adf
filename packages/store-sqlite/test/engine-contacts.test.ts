import { join } from "node:path";
import { afterAll } from "vitest";
import { describeEngineContacts } from "../../../test/engine-contact-scenarios.js";
import { createSqliteStore } from "../src/index.js";
import { tempDir } from "./helpers.js";

const temp = tempDir();
let files = 0;

// The engine closes the store; the folder goes at the end.
describeEngineContacts("SQLite store", async () => ({
  storage: await createSqliteStore({ path: join(temp.dir, `contacts-${++files}.sqlite`) }),
}));

afterAll(() => temp.remove());
