import { authStoreConformance } from "@lucky-im/auth/testing";
import {
  createMemoryCodeStore,
  createMemoryCredentialStore,
  createMemoryLoginChallengeStore,
  createMemoryRefreshTokenStore,
} from "../src/index.js";

authStoreConformance({
  name: "memory",
  create: () => ({
    credentials: createMemoryCredentialStore(),
    refreshTokens: createMemoryRefreshTokenStore(),
    codes: createMemoryCodeStore(),
    challenges: createMemoryLoginChallengeStore(),
  }),
});
