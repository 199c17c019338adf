import { ENV, EXAMPLE_URL, type ServiceName } from "./services.js";

/**
 * The one line a local `npm test` prints when services are not configured: which tests skip and
 * how to enable them, with example values. Undefined when nothing is missing.
 */
export function skipNotice(missing: ServiceName[]): string | undefined {
  if (missing.length === 0) return undefined;
  const names = { postgres: "PostgreSQL", redis: "Redis", amqp: "RabbitMQ" };
  const vars = missing.map((name) => `${ENV[name]}=${EXAMPLE_URL[name]}`).join(" ");
  return (
    `[lucky-im] [test] no ${missing.map((n) => names[n]).join(", ")} configured and no Docker engine: ` +
    `their tests are skipped. To run them, export ${vars} (or start Docker for Testcontainers).`
  );
}
