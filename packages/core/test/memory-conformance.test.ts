import {
  brokerConformance,
  presenceConformance,
  rateLimiterConformance,
  storageConformance,
} from "@lucky-im/core/testing";
import {
  createMemoryBroker,
  createMemoryBrokerHub,
  createMemoryPresence,
  createMemoryPresenceHub,
  createMemoryRateLimiter,
  createMemoryStorage,
  createMemoryStorageBackend,
} from "../src/memory/index.js";

// One backend/hub per suite: every create() is another node on the same "service".
const storageBackend = createMemoryStorageBackend();
storageConformance({
  name: "memory",
  create: async () => createMemoryStorage({ backend: storageBackend }),
  createWithLimits: async (messageChanges) =>
    createMemoryStorage({ backend: storageBackend, messageChanges }),
});

const brokerHub = createMemoryBrokerHub();
brokerConformance({
  name: "memory",
  create: async () => createMemoryBroker({ hub: brokerHub }),
});

const presenceHub = createMemoryPresenceHub();
presenceConformance({
  name: "memory",
  create: async ({ nodeTtlMs }) => createMemoryPresence({ hub: presenceHub, nodeTtlMs }),
});

rateLimiterConformance({
  name: "memory",
  create: async (budget) => createMemoryRateLimiter(budget),
});
