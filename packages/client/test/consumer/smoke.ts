// Consumer smoke test: compiled and run from the packed tarball by scripts/consumer-check.mjs in
// every module setup (ESM node16/nodenext, CJS node16, bundler). No top-level await: CJS has none.
// The client talks to a real server (core + transport-ws) over `ws`, as a Node.js client would.
import { createImClient, type ImClient, type SentResult } from "@lucky-im/client";
import { type Authenticator, createImServer, type ImLogger } from "@lucky-im/core";
import { createWsTransport } from "@lucky-im/transport-ws";
import { WebSocket } from "ws";

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
  const url = `ws://127.0.0.1:${address.port}/ws`;

  const client: ImClient = createImClient({ WebSocket });
  const states: string[] = [];
  client.on("state", (state) => states.push(state));
  await client.connect({ url, token: "alice" });
  const sent: SentResult = await client.send(
    { type: "user", id: "bob" },
    { type: "text", text: "hi" },
  );
  if (sent.seq < 1) throw new Error(`unexpected seq ${sent.seq}`);
  await client.close();
  await im.close();
  if (states.length === 0) throw new Error("no state events");
  console.log("@lucky-im/client ok");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
