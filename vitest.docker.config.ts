import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * Tests that need a Docker engine (MinIO through Testcontainers), or a service named by an
 * environment variable (`LUCKY_IM_TEST_MINIO_ENDPOINT`): `npm run test:docker`. They are not part
 * of `npm test`, so a machine without Docker (this project's CI) skips nothing silently.
 */
export default mergeConfig(
  { resolve: base.resolve },
  defineConfig({
    test: {
      name: "docker",
      include: ["packages/*/test/**/*.docker.test.ts"],
      testTimeout: 180_000,
      hookTimeout: 180_000,
    },
  }),
);
