import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatServer } from "../src/chat-server.js";
import { registerUser, startTestServer, WsProbe } from "./helpers.js";

/**
 * `LUCKY_IM_MAX_FRAME_BYTES` above the WebSocket default (64 KiB) must reach the socket:
 * a frame within it gets the engine's answer, not close 1009 from the transport.
 */

let server: ChatServer;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ server, stop } = await startTestServer({ maxFrameBytes: 256 * 1024 }));
});

afterAll(async () => {
  await stop();
});

describe("the frame size limit", () => {
  it("a 100 KB frame under maxFrameBytes gets an error frame (body too large) and the socket stays open", async () => {
    const alice = await registerUser(server.url, "frame");
    const probe = await WsProbe.connect(server.url, alice.accessToken);
    try {
      probe.socket.send(
        JSON.stringify({
          type: "send",
          cid: "big",
          to: { type: "user", id: alice.userId },
          body: { type: "text", text: "x".repeat(100_000) },
        }),
      );
      const answer = await probe.next((f) => f.type === "error" || f.type === "sent");
      expect(answer).toMatchObject({ type: "error", code: "too_large", cid: "big" });
      expect(probe.closeCode).toBeUndefined();
    } finally {
      probe.close();
    }
  });
});
