/**
 * Fan-out cost: one serialized frame pushed to N connections.
 *
 *   npx tsx packages/transport-ws/bench/fanout.ts [connections=2000] [rounds=50] [frameBytes=2048]
 *
 * Compares the transport (one UTF-8 encoding per frame, the same Buffer queued
 * on every socket) with a baseline in the same run: plain `ws` `send(string)`
 * per socket (an encoding and a copy per socket). Prints the time of the
 * synchronous send loop (clients run in the same process and drain between rounds).
 */
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { ConnectionHandler, TransportConnection } from "@lucky-im/core";
import { WebSocket, WebSocketServer } from "ws";
import { createWsTransport } from "../src/index.js";

const connections = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 50);
const frameBytes = Number(process.argv[4] ?? 2048);

interface Target {
  send(frame: string): void;
}

async function openClients(url: string): Promise<{ received: () => number; close: () => void }> {
  let received = 0;
  const sockets: WebSocket[] = [];
  for (let i = 0; i < connections; i += 200) {
    const batch = Array.from({ length: Math.min(200, connections - i) }, async () => {
      const ws = new WebSocket(url);
      ws.on("message", () => received++);
      sockets.push(ws);
      await once(ws, "open");
    });
    await Promise.all(batch);
  }
  return {
    received: () => received,
    close: () => {
      for (const s of sockets) s.terminate();
    },
  };
}

async function measure(name: string, targets: Target[], received: () => number) {
  const times: number[] = [];
  const frameBase = JSON.stringify({ type: "message", body: { type: "text", text: "" } });
  for (let round = 0; round < rounds; round++) {
    // A new string per round, like a new message: nothing carried over between rounds.
    const frame = frameBase.replace('""', JSON.stringify(`${round}:${"é".repeat(frameBytes / 2)}`));
    const before = received();
    const start = process.hrtime.bigint();
    for (const target of targets) target.send(frame);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    const deadline = Date.now() + 30_000;
    while (received() - before < targets.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  times.sort((a, b) => a - b);
  return {
    variant: name,
    "median send loop ms": times[Math.floor(times.length / 2)]!.toFixed(2),
    "p90 send loop ms": times[Math.floor(times.length * 0.9)]!.toFixed(2),
    "µs per send": ((times[Math.floor(times.length / 2)]! * 1000) / targets.length).toFixed(1),
  };
}

async function baseline() {
  const server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  const sockets: WebSocket[] = [];
  wss.on("connection", (ws) => sockets.push(ws));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const clients = await openClients(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const result = await measure(
    "ws send(string) per socket (baseline)",
    sockets.map((ws) => ({ send: (frame: string) => ws.send(frame) })),
    clients.received,
  );
  clients.close();
  wss.close();
  server.close();
  return result;
}

async function transport() {
  const opened: TransportConnection[] = [];
  const ws = createWsTransport({ port: 0, host: "127.0.0.1", maxConnectionsPerIp: Infinity });
  await ws.listen({
    authenticate: () => Promise.reject(new Error("unused")),
    open(connection): ConnectionHandler {
      opened.push(connection);
      return { onFrame() {}, onClose() {} };
    },
  });
  const address = ws.address() as AddressInfo;
  const clients = await openClients(`ws://127.0.0.1:${address.port}/ws`);
  const result = await measure(
    "@lucky-im/transport-ws send (encoded once)",
    opened.map((c) => ({ send: (frame: string) => c.send(frame) })),
    clients.received,
  );
  clients.close();
  await ws.close();
  return result;
}

console.log(`fan-out of ${frameBytes}-char frames to ${connections} connections, ${rounds} rounds`);
const rows = [await baseline(), await transport()];
console.table(rows);
