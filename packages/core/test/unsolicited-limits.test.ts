import { afterEach, describe, expect, it } from "vitest";
import {
  directConversationId,
  type ErrorFrame,
  hasErrorCode,
  type MemoryClient,
} from "../src/index.js";
import { sendText, startServer, type TestServer } from "./engine-helpers.js";

/** Issue 13: per-sender limits on traffic nobody asked for. */

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function sendError(client: MemoryClient, to: string, cid: string): Promise<ErrorFrame> {
  client.send({
    type: "send",
    cid,
    to: { type: "user", id: to },
    body: { type: "text", text: "hi" },
  });
  return client.next<ErrorFrame>(
    (f) => (f.type === "sent" || f.type === "error") && "cid" in f && f.cid === cid,
  );
}

describe("unsolicited traffic", () => {
  it("limits first messages to strangers per sender (rate_limited with the cid, nothing stored); known peers are free", async () => {
    server = await startServer({ limits: { newDirectConversationsPerWindow: 3 } });
    const mallory = await server.login("mallory");
    const friend = await server.login("friend");
    // Someone who wrote to mallory first is no stranger.
    await sendText(friend, { type: "user", id: "mallory" }, "hello mallory");
    for (const victim of ["v1", "v2", "v3"]) {
      await sendText(mallory, { type: "user", id: victim }, "buy now");
    }
    const refused = await sendError(mallory, "v4", "c-refused");
    expect(refused).toMatchObject({ type: "error", code: "rate_limited", cid: "c-refused" });
    expect(
      await server.im.storage.messages.range(directConversationId("mallory", "v4"), { limit: 10 }),
    ).toEqual([]);
    // Conversations that already exist are not limited.
    await sendText(mallory, { type: "user", id: "v1" }, "again");
    await sendText(mallory, { type: "user", id: "friend" }, "hello friend");
    await sendText(mallory, { type: "user", id: "mallory" }, "note to self");
    // Another sender has a budget of its own.
    const bob = await server.login("bob");
    await sendText(bob, { type: "user", id: "v4" }, "hi v4");
  });

  it("limits new calls (signal with a new callId) per sender; a started call goes on", async () => {
    server = await startServer({ limits: { callsPerWindow: 2 } });
    const mallory = await server.login("mallory");
    const alice = await server.login("alice");
    const signal = (callId: string) =>
      mallory.send({ type: "signal", to: { type: "user", id: "alice" }, callId, data: { n: 1 } });
    for (const callId of ["call-1", "call-1", "call-2", "call-2"]) signal(callId);
    for (let i = 0; i < 4; i++) await alice.next("signal");
    signal("call-3");
    expect(await mallory.next("error")).toMatchObject({ type: "error", code: "rate_limited" });
    signal("call-1");
    expect(await alice.next("signal")).toMatchObject({ callId: "call-1" });
    expect(alice.all("signal").some((f) => (f as { callId?: string }).callId === "call-3")).toBe(
      false,
    );
  });

  it("counts a call per callee: one callId cannot ring any number of users", async () => {
    server = await startServer({ limits: { callsPerWindow: 2 } });
    const mallory = await server.login("mallory");
    const alice = await server.login("alice");
    const bob = await server.login("bob");
    const ring = (to: string) =>
      mallory.send({ type: "signal", to: { type: "user", id: to }, callId: "same", data: {} });
    ring("alice");
    ring("bob");
    await alice.next("signal");
    await bob.next("signal");
    ring("carol");
    expect(await mallory.next("error")).toMatchObject({ type: "error", code: "rate_limited" });
    // The calls already started go on.
    ring("alice");
    expect(await alice.next("signal")).toMatchObject({ callId: "same" });
  });

  it("limits strangers added to groups per user; a refused add spends nothing and known users are free", async () => {
    server = await startServer({ limits: { strangerAddsPerWindow: 10 } });
    const owner = await server.login("owner");
    const friend = await server.login("friend");
    await sendText(friend, { type: "user", id: "owner" }, "hi");
    const strangers = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => `${prefix}${i}`);
    await server.im.groups.create({ ownerId: "owner", name: "a", memberIds: strangers("a", 8) });
    const refused = await server.im.groups
      .create({ ownerId: "owner", name: "b", memberIds: strangers("b", 5) })
      .catch((e: unknown) => e);
    expect(hasErrorCode(refused, "rate_limited")).toBe(true);
    expect(await server.im.groups.groupsOf("b0")).toEqual([]);
    const group = await server.im.groups.create({
      ownerId: "owner",
      name: "c",
      memberIds: [...strangers("c", 2), "friend"],
    });
    const more = await server.im.groups
      .addMembers(group.groupId, "owner", ["d0"])
      .catch((e: unknown) => e);
    expect(hasErrorCode(more, "rate_limited")).toBe(true);
    expect(owner).toBeDefined();
  });
});
