import {
  brokerConformance,
  contactStoreConformance,
  conversationSettingsConformance,
  groupJoinConformance,
  messageChangeConformance,
  moderationStoreConformance,
  presenceConformance,
  profileStoreConformance,
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
});

// The people stores: the same shared backend, one suite per contract.
const peopleBackend = createMemoryStorageBackend();
const peopleStorage = {
  name: "memory",
  create: async () => createMemoryStorage({ backend: peopleBackend }),
};
contactStoreConformance(peopleStorage);
profileStoreConformance(peopleStorage);
conversationSettingsConformance(peopleStorage);
moderationStoreConformance(peopleStorage);
const changeBackend = createMemoryStorageBackend();
messageChangeConformance({
  name: "memory",
  create: async () => createMemoryStorage({ backend: changeBackend }),
  createWithLimits: async (messageChanges) =>
    createMemoryStorage({ backend: changeBackend, messageChanges }),
});
groupJoinConformance({
  name: "memory",
  create: async () => createMemoryStorage({ backend: storageBackend }),
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
