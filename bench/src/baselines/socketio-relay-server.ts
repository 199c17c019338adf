/**
 * Baseline 2: a Socket.IO relay (websocket transport only), what a Node team
 * would otherwise pick. The same relay logic with `emit`: event `send` ->
 * `sent` to the sender and `message` to the recipients' sockets.
 * `ws://host:PORT/socket.io/?EIO=4&transport=websocket`, user id in the
 * CONNECT packet's auth `{user}`.
 */
import { Server } from "socket.io";
import { createBaselineHttp, Relay, type SendFields } from "./relay-core.js";

const relay = new Relay();
const http = createBaselineHttp(relay);
const io = new Server(http, {
  transports: ["websocket"],
  perMessageDeflate: false,
  serveClient: false,
});

io.on("connection", (socket) => {
  const userId = (socket.handshake.auth as { user?: unknown }).user;
  if (typeof userId !== "string") {
    socket.disconnect(true);
    return;
  }
  const peer = { push: (frame: Record<string, unknown>) => socket.emit("message", frame) };
  relay.join(userId, peer);
  socket.on("disconnect", () => relay.leave(userId, peer));
  socket.on("send", (fields: SendFields) => {
    const answer = relay.send(userId, fields ?? {});
    socket.emit(answer.type === "sent" ? "sent" : "failure", answer);
  });
  socket.on("sync", () => socket.emit("synced", relay.synced()));
  socket.emit("ready", {
    userId,
    sessionId: socket.id,
    nodeId: "sio",
    heartbeatMs: 25000,
    serverTime: Date.now(),
  });
});

http.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.send?.({ listening: true });
});
process.on("SIGTERM", () => process.exit(0));
