/**
 * Engine cost per message, in one process, without sockets: N users on the
 * in-memory transport, random pairs sending text; recipients ack in batches
 * like the client does. Prints CPU microseconds per delivered message, beside
 * a baseline measured in the same run: the minimum relay work (JSON.parse of the
 * frame, JSON.stringify of `sent` and `message`) done on the same frames.
 *
 *   npx tsx packages/core/bench/engine-throughput.ts [users=1000] [messages=50000]
 */
import { cpuUsage } from "node:process";
import {
  type Authenticator,
  createImServer,
  createMemoryTransport,
  type MemoryClient,
  type MessageFrame,
} from "../src/index.js";

const users = Number(process.argv[2] ?? 1000);
const total = Number(process.argv[3] ?? 50_000);
const batch = 500;

const authenticator: Authenticator = {
  async authenticate(token) {
    return { userId: token, claims: { sub: token } };
  },
};

async function engineRun(): Promise<{ cpuUs: number; wallMs: number; delivered: number }> {
  const transport = createMemoryTransport();
  const im = createImServer({
    transport,
    authenticator,
    limits: { framesPerWindow: 1_000_000 },
    logger: { info() {}, warn() {}, error() {} },
  });
  await im.start();
  const clients: MemoryClient[] = [];
  for (let i = 0; i < users; i++) {
    const client = await transport.connect({ token: `u${i}` });
    await client.next("ready");
    clients.push(client);
  }
  let delivered = 0;
  // Recipients ack every 50 ms per conversation, cumulatively, like @lucky-im/client.
  const toAck = new Map<MemoryClient, Map<string, number>>();
  for (const client of clients) {
    const original = client.receive.bind(client);
    client.receive = (data: string) => {
      if (data.startsWith('{"type":"message"')) {
        const frame = JSON.parse(data) as MessageFrame;
        delivered++;
        let pending = toAck.get(client);
        if (!pending) {
          pending = new Map();
          toAck.set(client, pending);
        }
        pending.set(
          frame.conversationId,
          Math.max(pending.get(frame.conversationId) ?? 0, frame.seq),
        );
      }
      if (client.frames.length > 100) client.frames.length = 0;
      original(data);
    };
  }
  const acker = setInterval(() => {
    for (const [client, pending] of toAck) {
      for (const [conversationId, seq] of pending)
        client.send({ type: "ack", conversationId, seq });
    }
    toAck.clear();
  }, 50);
  const started = performance.now();
  const cpu = cpuUsage();
  for (let sent = 0; sent < total; sent += batch) {
    for (let i = 0; i < batch; i++) {
      const from = (sent + i) % users;
      const to = (from * 7 + 13) % users;
      clients[from]!.send({
        type: "send",
        cid: `c${sent + i}`,
        to: { type: "user", id: `u${to === from ? (to + 1) % users : to}` },
        body: { type: "text", text: `hello ${sent + i}` },
      });
    }
    await new Promise((r) => setImmediate(r));
  }
  while (delivered < total) await new Promise((r) => setTimeout(r, 10));
  const used = cpuUsage(cpu);
  const wallMs = performance.now() - started;
  clearInterval(acker);
  await im.close();
  return { cpuUs: used.user + used.system, wallMs, delivered };
}

function baselineRun(): { cpuUs: number } {
  const cpu = cpuUsage();
  for (let i = 0; i < total; i++) {
    const text = JSON.stringify({
      type: "send",
      cid: `c${i}`,
      to: { type: "user", id: `u${i % users}` },
      body: { type: "text", text: `hello ${i}` },
    });
    const frame = JSON.parse(text);
    JSON.stringify({
      type: "sent",
      cid: frame.cid,
      messageId: "m",
      conversationId: "d:a:b",
      seq: i,
      ts: 0,
    });
    JSON.stringify({ type: "message", ...frame, from: "a", seq: i, ts: 0, messageId: "m" });
  }
  const used = cpuUsage(cpu);
  return { cpuUs: used.user + used.system };
}

const engine = await engineRun();
const baseline = baselineRun();
console.table([
  {
    run: "engine (memory adapters)",
    messages: engine.delivered,
    "msg/s": Math.round(engine.delivered / (engine.wallMs / 1000)),
    "cpu µs/msg": (engine.cpuUs / engine.delivered).toFixed(1),
  },
  {
    run: "baseline: parse + 2 stringify",
    messages: total,
    "msg/s": "-",
    "cpu µs/msg": (baseline.cpuUs / total).toFixed(1),
  },
]);
