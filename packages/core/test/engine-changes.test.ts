import { describeEngineChanges } from "../../../test/engine-change-scenarios.js";
import { createMemoryStorage } from "../src/index.js";

describeEngineChanges("memory store", async () => ({
  storage: createMemoryStorage({ outboxGraceMs: 50 }),
}));
