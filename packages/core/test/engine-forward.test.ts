import { describeEngineForward } from "../../../test/engine-forward-scenarios.js";
import { createMemoryStorage } from "../src/index.js";

describeEngineForward("memory store", async () => ({
  storage: createMemoryStorage({ outboxGraceMs: 50 }),
}));
