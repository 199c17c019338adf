/**
 * Baseline 3: Socket.IO with acknowledgements both ways, the nearest thing a
 * Node team would build to Lucky IM's acknowledged delivery without storage:
 * the server emits `message` to each recipient socket with an ack callback,
 * and answers the sender's `send` emit (its ack) only once every recipient
 * socket acked (at once when nobody is online). No storage, no re-push.
 * `ws://host:PORT/socket.io/?EIO=4&transport=websocket`, user id in the
 * CONNECT packet's auth `{user}`.
 */
import { Server } from "socket.io";
import { createBaselineHttp, Relay, type SendFields } from "./relay-core.js";

/** How long the server waits for a recipient's ack before answering the sender anyway. */
const RECIPIENT_ACK_TIMEOUT_MS = 10_000;

/** One send's deliveries: recipient acks still awaited, and the sender's answer once they arrived. */
interface Delivery {
  pending: number;
  answerSender?: () => void;
}

/** The send being routed: `Relay.send` pushes synchronously, so one slot suffices. */
let routing: Delivery | undefined;

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
  const peer = {
    push(frame: Record<string, unknown>) {
      const delivery = routing;
      if (!delivery) return;
      delivery.pending++;
      socket.timeout(RECIPIENT_ACK_TIMEOUT_MS).emit("message", frame, () => {
        delivery.pending--;
        if (delivery.pending === 0) delivery.answerSender?.();
      });
    },
  };
  relay.join(userId, peer);
  socket.on("disconnect", () => relay.leave(userId, peer));
  socket.on("send", (fields: SendFields, ack?: (answer: unknown) => void) => {
    const delivery: Delivery = { pending: 0 };
    routing = delivery;
    let answer: Record<string, unknown>;
    try {
      answer = relay.send(userId, fields ?? {});
    } finally {
      routing = undefined;
    }
    const reply = () => (typeof ack === "function" ? ack(answer) : undefined);
    if (delivery.pending === 0 || answer.type !== "sent") reply();
    else delivery.answerSender = reply;
  });
  socket.on("sync", () => socket.emit("synced", relay.synced()));
  socket.emit("ready", {
    userId,
    sessionId: socket.id,
    nodeId: "sio-acks",
    heartbeatMs: 25000,
    serverTime: Date.now(),
  });
});

http.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.send?.({ listening: true });
});
process.on("SIGTERM", () => process.exit(0));
