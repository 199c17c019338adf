import { createMemoryDeviceRegistry } from "../src/index.js";
import { deviceRegistryConformance } from "../src/testing/index.js";

deviceRegistryConformance({ name: "memory", create: () => createMemoryDeviceRegistry() });
