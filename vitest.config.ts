import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const packages = [
  "protocol",
  "core",
  "push",
  "webhooks",
  "files",
  "store-sqlite",
  "auth",
  "transport-ws",
  "client",
  "store-postgres",
  "broker-amqp",
  "presence-redis",
  "http",
];

const fromRoot = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Tests run against the TypeScript sources: no build step before `npm test`.
const alias = [
  { find: "@lucky-im/core/testing", replacement: fromRoot("./packages/core/src/testing/index.ts") },
  { find: "@lucky-im/push/testing", replacement: fromRoot("./packages/push/src/testing/index.ts") },
  {
    find: "@lucky-im/webhooks/testing",
    replacement: fromRoot("./packages/webhooks/src/testing/index.ts"),
  },
  {
    find: "@lucky-im/files/testing",
    replacement: fromRoot("./packages/files/src/testing/index.ts"),
  },
  { find: "@lucky-im/auth/testing", replacement: fromRoot("./packages/auth/src/testing/index.ts") },
  ...packages.map((name) => ({
    find: new RegExp(`^@lucky-im/${name}$`),
    replacement: fromRoot(`./packages/${name}/src/index.ts`),
  })),
];

/**
 * Fault tests stop and restart the shared services (PostgreSQL, RabbitMQ) or
 * kill server processes: they run alone, only when asked (`npm run test:faults`,
 * and in CI), from `vitest.faults.config.ts`. Tests that need a Docker engine (`*.docker.test.ts`:
 * MinIO through Testcontainers) run only when asked too: `npm run test:docker`; CI has no Docker
 * engine and covers S3 with s3rver.
 */
export const faultTests = ["**/*.fault.test.ts", "**/*.docker.test.ts"];

export default defineConfig({
  resolve: { alias },
  test: {
    // One line naming the services whose tests skip locally, and how to enable them.
    globalSetup: ["./test/global-setup.ts"],
    reporters: ["default", "json"],
    outputFile: { json: ".out/test-report.json" },
    projects: [
      ...packages.map((name) => ({
        resolve: { alias },
        test: {
          name,
          include: [`packages/${name}/src/**/*.test.ts`, `packages/${name}/test/**/*.test.ts`],
          exclude: ["**/node_modules/**", ...faultTests],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      })),
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          exclude: ["**/node_modules/**", ...faultTests],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "bench",
          include: ["bench/src/**/*.test.ts"],
          exclude: ["**/node_modules/**"],
        },
      },
      ...["express-app", "fastify-app"].map((name) => ({
        resolve: { alias },
        test: {
          name,
          include: [`examples/${name}/test/**/*.test.ts`],
          exclude: ["**/node_modules/**", ...faultTests],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      })),
      {
        resolve: { alias },
        test: {
          name: "chat-server",
          include: ["examples/chat-server/test/**/*.test.ts"],
          exclude: ["**/node_modules/**", ...faultTests],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
