/**
 * Baseline 1: a plain `ws` relay, the practical limit of the transport.
 * `ws://host:PORT/ws?user=<id>`: sends `ready`, answers `send` with `sent`,
 * forwards `message`, answers `sync` with an empty `synced`, ignores `ack`.
 * Run as its own process by the bench: `PORT=... node --import tsx ws-relay-server.ts`.
 */
import { WebSocketServer } from "ws";
import { createBaselineHttp, Relay, type SendFields, userOf } from "./relay-core.js";

const relay = new Relay();
const http = createBaselineHttp(relay);
const wss = new WebSocketServer({ server: http, path: "/ws", perMessageDeflate: false });

wss.on("connection", (ws, req) => {
  const userId = userOf(req.url);
  if (!userId) {
    ws.close(4401);
    return;
  }
  const peer = { push: (frame: Record<string, unknown>) => ws.send(JSON.stringify(frame)) };
  relay.join(userId, peer);
  ws.on("close", () => relay.leave(userId, peer));
  ws.on("message", (data) => {
    let frame: { type?: unknown } & SendFields;
    try {
      frame = JSON.parse(data.toString()) as typeof frame;
    } catch {
      return;
    }
    if (frame.type === "send") ws.send(JSON.stringify(relay.send(userId, frame)));
    else if (frame.type === "sync") ws.send(JSON.stringify(relay.synced()));
  });
  ws.send(
    JSON.stringify({
      type: "ready",
      userId,
      sessionId: "s",
      nodeId: "ws",
      heartbeatMs: 25000,
      serverTime: Date.now(),
    }),
  );
});

http.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.send?.({ listening: true });
});
process.on("SIGTERM", () => process.exit(0));
