// Consumer smoke test: compiled and run from the packed tarball by scripts/consumer-check.mjs in
// every module setup (ESM node16/nodenext, CJS node16, bundler). No top-level await: CJS has none.
import { type Authenticator, createImServer, type ImLogger } from "@lucky-im/core";
import { createWsTransport, WS_TRANSPORT_DEFAULTS } from "@lucky-im/transport-ws";

const authenticator: Authenticator = {
  async authenticate(token) {
    return { userId: token, claims: {} };
  },
};
const quiet: ImLogger = { info() {}, warn() {}, error() {} };

async function main(): Promise<void> {
  const transport = createWsTransport({ port: 0, path: "/ws" });
  const im = createImServer({ transport, authenticator, logger: quiet });
  await im.start();
  const address = transport.address();
  if (address === null || typeof address === "string") throw new Error("no TCP port");
  if (transport.maxPayload <= 0 || WS_TRANSPORT_DEFAULTS === undefined)
    throw new Error("no limits");
  await im.close();
  console.log("@lucky-im/transport-ws ok");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
