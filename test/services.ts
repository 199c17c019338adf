/**
 * Resolves the real services integration tests talk to.
 *
 * Order: the URL in `LUCKY_IM_TEST_<SERVICE>_URL`; else a Testcontainers
 * container when a Docker engine answers; else the test is skipped locally,
 * but under `CI=true` it fails: CI never skips silently.
 */

export type ServiceName = "postgres" | "redis" | "amqp";

/** The variable naming each service's URL. */
export const ENV: Record<ServiceName, string> = {
  postgres: "LUCKY_IM_TEST_POSTGRES_URL",
  redis: "LUCKY_IM_TEST_REDIS_URL",
  amqp: "LUCKY_IM_TEST_AMQP_URL",
};

/** A value for each variable that works with a local default install (README, skip notice). */
export const EXAMPLE_URL: Record<ServiceName, string> = {
  postgres: "postgres://postgres@127.0.0.1:5432/test",
  redis: "redis://127.0.0.1:6379",
  amqp: "amqp://guest:guest@127.0.0.1:5672",
};

/** Whether this run is CI (`CI=true` or `CI=1`): there nothing may skip. */
export function onCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === "true" || env.CI === "1";
}

const started = new Map<ServiceName, Promise<{ url: string; stop(): Promise<void> }>>();

/** Whether a Docker engine answers (Testcontainers then starts what is not configured). */
export async function dockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

async function startContainer(name: ServiceName): Promise<{ url: string; stop(): Promise<void> }> {
  if (name === "postgres") {
    const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
    const c = await new PostgreSqlContainer("postgres:16-alpine").start();
    return { url: c.getConnectionUri(), stop: async () => void (await c.stop()) };
  }
  if (name === "redis") {
    const { RedisContainer } = await import("@testcontainers/redis");
    const c = await new RedisContainer("redis:7-alpine").start();
    return { url: c.getConnectionUrl(), stop: async () => void (await c.stop()) };
  }
  const { RabbitMQContainer } = await import("@testcontainers/rabbitmq");
  const c = await new RabbitMQContainer("rabbitmq:3.13-alpine").start();
  return { url: c.getAmqpUrl(), stop: async () => void (await c.stop()) };
}

/**
 * The URL of a service, or undefined when none is reachable and we are not
 * on CI (the caller then skips). Throws on CI when nothing is configured.
 */
export async function serviceUrl(name: ServiceName): Promise<string | undefined> {
  const fromEnv = process.env[ENV[name]];
  if (fromEnv) return fromEnv;
  if (await dockerAvailable()) {
    let container = started.get(name);
    if (!container) {
      container = startContainer(name);
      started.set(name, container);
    }
    return (await container).url;
  }
  if (onCi()) {
    throw new Error(
      `[lucky-im] [test] ${name} is required on CI: set ${ENV[name]} or make a Docker engine reachable`,
    );
  }
  return undefined;
}
