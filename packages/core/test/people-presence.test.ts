import { describePeoplePresence } from "../../../test/people-presence-scenarios.js";
import { createMemoryStorage } from "../src/index.js";

describePeoplePresence("memory store", async () => ({ storage: createMemoryStorage() }));
