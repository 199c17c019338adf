import { describeEngineAccess } from "../../../test/engine-access-scenarios.js";
import { createMemoryStorage } from "../src/index.js";

describeEngineAccess("memory store", async () => ({
  storage: createMemoryStorage({ outboxGraceMs: 50 }),
}));
