import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createImServer, ImError, type ImServer, type Principal } from "@lucky-im/core";
import { eventually } from "@lucky-im/core/testing";
import { createWsTransport } from "@lucky-im/transport-ws";
import { afterEach, beforeEach, expect, it } from "vitest";
import { WebSocket } from "ws";
import {
  createImClient,
  type ImClient,
  type MessageChangeEvent,
  type MessageFrame,
} from "../src/index.js";

const authenticator = {
  async authenticate(token: string): Promise<Principal> {
    if (!token.startsWith("t-")) throw new ImError("unauthorized", "bad token");
    return { userId: token.slice(2), claims: {} };
  },
};

let http: Server;
let im: ImServer;
let url: string;
const clients: ImClient[] = [];

beforeEach(async () => {
  http = createServer();
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  im = createImServer({
    transport: createWsTransport({ server: http }),
    authenticator,
    logger: { info() {}, warn() {}, error() {} },
  });
  await im.start();
  url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`;
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await im.close();
  await new Promise<void>((resolve) => http.close(() => resolve()));
});

function user(userId: string) {
  const client = createImClient({ WebSocket, changes: true, reconnect: { initialDelayMs: 20 } });
  clients.push(client);
  const changes: MessageChangeEvent[] = [];
  const messages: MessageFrame[] = [];
  client.on("change", (c) => changes.push(c));
  client.on("message", (m) => messages.push(m));
  return {
    client,
    changes,
    messages,
    connect: () => client.connect({ url, token: `t-${userId}` }),
  };
}

it("edits, reacts, replies and mentions through the client; an offline peer learns the changes on reconnect", async () => {
  const alice = user("alice");
  const bob = user("bob");
  await alice.connect();
  await bob.connect();
  const first = await alice.client.send({ type: "user", id: "bob" }, { type: "text", text: "hi" });
  await eventually(() => expect(bob.messages).toHaveLength(1));
  const reply = await bob.client.send(
    { type: "user", id: "alice" },
    { type: "text", text: "hey" },
    { replyTo: first.messageId, mentions: ["alice"] },
  );
  await eventually(() => expect(alice.messages).toHaveLength(1));
  expect(alice.messages[0]).toMatchObject({
    messageId: reply.messageId,
    replyTo: { messageId: first.messageId, excerpt: "hi" },
    mentions: ["alice"],
  });
  expect(await alice.client.edit(first.messageId, { type: "text", text: "hello" })).toEqual({
    changeSeq: 1,
  });
  await eventually(() => expect(bob.changes.map((c) => c.kind)).toEqual(["edited"]));
  await expect(
    bob.client.edit(first.messageId, { type: "text", text: "no" }),
  ).rejects.toMatchObject({
    code: "forbidden",
  });
  // Bob goes away; Alice reacts and pins meanwhile; Bob's next connection syncs them.
  await bob.client.close();
  expect(await alice.client.react(first.messageId, "👍")).toEqual({ changeSeq: 2 });
  expect(await alice.client.react(first.messageId, "👍")).toEqual({});
  expect(await alice.client.pin(first.messageId)).toEqual({ changeSeq: 3 });
  await bob.connect();
  await eventually(() =>
    expect(bob.changes.map((c) => [c.changeSeq, c.kind])).toEqual([
      [1, "edited"],
      [2, "reacted"],
      [3, "pinned"],
    ]),
  );
});

it("forwards a message to several targets; the recipients see it as forwarded; refusals reject", async () => {
  const alice = user("alice");
  const bob = user("bob");
  const carol = user("carol");
  await alice.connect();
  await bob.connect();
  await carol.connect();
  const group = await im.groups.create({ ownerId: "bob", name: "team", memberIds: ["carol"] });
  const first = await alice.client.send(
    { type: "user", id: "bob" },
    { type: "text", text: "news" },
  );
  await eventually(() => expect(bob.messages).toHaveLength(1));
  const { messages } = await bob.client.forward(first.messageId, [
    { type: "user", id: "carol" },
    { type: "group", id: group.groupId },
  ]);
  expect(messages.map((m) => m.conversationId)).toEqual(["d:bob:carol", `g:${group.groupId}`]);
  await eventually(() => expect(carol.messages).toHaveLength(2));
  for (const message of carol.messages) {
    expect(message).toMatchObject({
      from: "bob",
      body: { type: "text", text: "news" },
      forwarded: {
        messageId: first.messageId,
        conversationId: first.conversationId,
        from: "alice",
      },
    });
  }
  // Carol cannot read alice and bob's conversation; nor send to a group she is not in.
  await expect(
    carol.client.forward(first.messageId, { type: "user", id: "alice" }),
  ).rejects.toMatchObject({ code: "not_found" });
  await expect(
    bob.client.forward(first.messageId, { type: "group", id: "no-such-group" }),
  ).rejects.toMatchObject({ code: "not_found" });
});
