import { afterAll, beforeAll, expect, it } from "vitest";
import type { ChatServer } from "../src/chat-server.js";
import { api, type Frame, registerUser, startTestServer, WsProbe } from "./helpers.js";

/** The HTTP side of docs/protocol.md §13.5: search, mention counts, reactions in history, pins. */

let server: ChatServer;
let stop: () => Promise<void>;
let base: string;
const probes: WsProbe[] = [];

beforeAll(async () => {
  ({ server, stop } = await startTestServer({ searchLimitPerMinute: 5 }));
  base = server.url;
});

afterAll(async () => {
  for (const probe of probes) probe.close();
  await stop();
});

async function send(probe: WsProbe, frame: Record<string, unknown>): Promise<Frame> {
  probe.send(frame);
  return probe.next((f) => "cid" in f && f.cid === frame.cid && f.type !== "message");
}

it("search finds only readable messages; conversations count mentions; history has reactions; pins list", async () => {
  const alice = await registerUser(base, "alice");
  const bob = await registerUser(base, "bob");
  const eve = await registerUser(base, "eve");
  const a = await WsProbe.connect(base, alice.accessToken);
  const e = await WsProbe.connect(base, eve.accessToken);
  probes.push(a, e);
  const to = { type: "user", id: bob.userId };
  const sent = await send(a, {
    type: "send",
    cid: "m1",
    to,
    body: { type: "text", text: "Pelican briefing at noon" },
    mentions: [bob.userId],
  });
  expect(sent.type).toBe("sent");
  await send(e, {
    type: "send",
    cid: "m2",
    to,
    body: { type: "text", text: "pelican secret of eve" },
  });
  const conversationId = sent.conversationId as string;

  const found = await api(base, "GET", "/search?q=pelican", { token: alice.accessToken });
  expect(found.status).toBe(200);
  expect(found.body.messages.map((m: Frame) => m.messageId)).toEqual([sent.messageId]);
  const none = await api(
    base,
    "GET",
    `/search?q=pelican&conversationId=${encodeURIComponent(conversationId)}`,
    {
      token: eve.accessToken,
    },
  );
  expect(none.status).toBe(403);

  const list = await api(base, "GET", "/conversations", { token: bob.accessToken });
  const entry = list.body.find((c: Frame) => c.conversationId === conversationId);
  expect(entry.mentions).toBe(1);

  expect(
    (await send(a, { type: "react", cid: "r1", messageId: sent.messageId, key: "🔥" })).type,
  ).toBe("applied");
  expect((await send(a, { type: "pin", cid: "p1", messageId: sent.messageId })).type).toBe(
    "applied",
  );
  const history = await api(
    base,
    "GET",
    `/conversations/${encodeURIComponent(conversationId)}/messages`,
    {
      token: bob.accessToken,
    },
  );
  expect(history.body.reactions).toEqual([
    { messageId: sent.messageId, key: "🔥", count: 1, mine: false },
  ]);
  expect(history.body.messages[0].mentions).toEqual([bob.userId]);
  const pins = await api(base, "GET", `/conversations/${encodeURIComponent(conversationId)}/pins`, {
    token: bob.accessToken,
  });
  expect(pins.body.pins.map((p: Frame) => p.messageId)).toEqual([sent.messageId]);

  // The per-user budget (5 a minute here): the 6th search is refused with 429.
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) {
    statuses.push((await api(base, "GET", "/search?q=noon", { token: bob.accessToken })).status);
  }
  expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
  expect(statuses.at(-1)).toBe(429);
});
