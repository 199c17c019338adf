// Consumer smoke test: compiled and run from the packed tarball by scripts/consumer-check.mjs in
// every module setup (ESM node16/nodenext, CJS node16, bundler). No top-level await: CJS has none.
import { createImServer, createMemoryTransport, ImError } from "@lucky-im/core";
import { createImHttpHandler, DEFAULT_LIMITS, type ImHttpOptions } from "@lucky-im/http";

async function main(): Promise<void> {
  const im = createImServer({
    transport: createMemoryTransport(),
    authenticator: { authenticate: async (token) => ({ userId: token, claims: {} }) },
    logger: { info() {}, warn() {}, error() {} },
  });
  await im.start();
  const authenticate: NonNullable<ImHttpOptions["authenticate"]> = async (request) => {
    const user = request.headers["x-user"];
    if (typeof user !== "string") throw new ImError("unauthorized", "who are you?");
    return user;
  };
  const api = createImHttpHandler({ prefix: "/im", im, authenticate });
  await api.ready;
  const health = await api.fastify.inject({ method: "GET", url: "/im/healthz" });
  if (health.statusCode !== 200) throw new Error(`healthz answered ${health.statusCode}`);
  const anonymous = await api.fastify.inject({ method: "GET", url: "/im/conversations" });
  if (anonymous.json().error?.code !== "unauthorized") throw new Error(anonymous.body);
  const mine = await api.fastify.inject({
    method: "GET",
    url: "/im/conversations",
    headers: { "x-user": "alice" },
  });
  if (mine.statusCode !== 200) throw new Error(mine.body);
  const openapi = await api.fastify.inject({ method: "GET", url: "/im/openapi.json" });
  if (!("/im/conversations" in openapi.json().paths)) throw new Error("no route in /openapi.json");
  if (DEFAULT_LIMITS.bodyLimit !== 65536) throw new Error("unexpected default body limit");
  await api.close();
  await im.close();
  console.log("@lucky-im/http ok");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
