import { describeEngineInput } from "../../../test/engine-input-scenarios.js";
import { createMemoryStorage } from "../src/index.js";

describeEngineInput("memory store", async () => ({ storage: createMemoryStorage() }));
