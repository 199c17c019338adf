import { describeEngineContacts } from "../../../test/engine-contact-scenarios.js";
import { createMemoryStorage } from "../src/index.js";

describeEngineContacts("memory store", async () => ({ storage: createMemoryStorage() }));
