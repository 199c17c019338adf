import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * The fault tests: they restart shared services or kill server processes, so
 * they run one file at a time, only when asked: `npm run test:faults` (CI runs it after `npm test`).
 */
export default mergeConfig(
  { resolve: base.resolve },
  defineConfig({
    test: {
      name: "faults",
      include: [
        "packages/*/test/**/*.fault.test.ts",
        "test/**/*.fault.test.ts",
        "examples/*/test/**/*.fault.test.ts",
      ],
      fileParallelism: false,
      passWithNoTests: true,
      testTimeout: 180_000,
      hookTimeout: 180_000,
      reporters: ["default", "json"],
      outputFile: { json: ".out/test-report-faults.json" },
    },
  }),
);
