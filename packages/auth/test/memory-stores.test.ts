import {
  createMemoryCodeStore,
  createMemoryCredentialStore,
  createMemoryRefreshTokenStore,
} from "../src/index.js";
import { authStoreSuites } from "./store-suites.js";

authStoreSuites("memory", () => ({
  credentials: createMemoryCredentialStore(),
  refreshTokens: createMemoryRefreshTokenStore(),
  codes: createMemoryCodeStore(),
}));
