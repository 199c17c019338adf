// Consumer smoke test: compiled and run from the packed tarball by scripts/consumer-check.mjs in
// every module setup (ESM node16/nodenext, CJS node16, bundler). No top-level await: CJS has none.
import {
  type Authenticator,
  createImServer,
  createMemoryTransport,
  type ImLogger,
  type Message,
} from "@lucky-im/core";

const authenticator: Authenticator = {
  async authenticate(token) {
    return { userId: token, claims: {} };
  },
};
const quiet: ImLogger = { info() {}, warn() {}, error() {} };

async function main(): Promise<void> {
  const transport = createMemoryTransport();
  const im = createImServer({ transport, authenticator, logger: quiet });
  const connected: string[] = [];
  im.on("connection", (session) => connected.push(session.userId));
  im.on("message", (message: Message, latencyMs: number) => void [message.seq, latencyMs]);
  await im.start();
  const client = await transport.connect({ token: "alice" });
  await client.next("ready");
  if (connected[0] !== "alice")
    throw new Error(`no connection event: ${JSON.stringify(connected)}`);
  await im.close();
  console.log("@lucky-im/core ok");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
