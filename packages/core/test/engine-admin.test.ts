import { eventually } from "@lucky-im/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  CloseCode,
  createMemoryBroker,
  createMemoryBrokerHub,
  createMemoryPresence,
  createMemoryPresenceHub,
  createMemoryStorage,
  createMemoryStorageBackend,
  type ImServerOptions,
  type Principal,
  type RecalledFrame,
} from "../src/index.js";
import { sendText, startServer, type TestServer } from "./engine-helpers.js";

/** Awaits a promise that must reject with an ImError of `code`. */
async function expectImError(promise: Promise<unknown>, code: string, what: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect((error as { code?: string } | undefined)?.code, what).toBe(code);
}

const root: Principal = {
  userId: "root",
  claims: { sub: "root", admin: true },
};
const plain: Principal = { userId: "mallory", claims: { sub: "mallory" } };

/**
 * The bound within which a suspension holds on every node. The nodes cache suspension
 * state for ten minutes, so only the `suspension_changed` broadcast can meet it.
 */
const REFUSAL_BOUND_MS = 2_000;

const started: TestServer[] = [];
afterEach(async () => {
  for (const server of started.splice(0).reverse()) await server.close();
});

/** Two nodes sharing a broker, presence and storage; the suspension cache outlives the test. */
async function cluster(extra: Partial<ImServerOptions> = {}) {
  const brokerHub = createMemoryBrokerHub();
  const presenceHub = createMemoryPresenceHub();
  const backend = createMemoryStorageBackend();
  const node = async (nodeId: string) => {
    const server = await startServer({
      nodeId,
      broker: createMemoryBroker({ hub: brokerHub }),
      presence: createMemoryPresence({ hub: presenceHub }),
      storage: createMemoryStorage({ backend }),
      caches: { suspension: { ttlMs: 600_000 } },
      ...extra,
    });
    started.push(server);
    return server;
  };
  return { a: await node("A"), b: await node("B") };
}

/** Connects with a token and resolves with the close code, or "ready". */
async function tryLogin(server: TestServer, userId: string): Promise<number | "ready"> {
  const client = await server.transport.connect();
  client.send({ type: "auth", token: `t:${userId}` });
  const outcome = await Promise.race([
    client.next("ready").then(() => "ready" as const),
    client.closed,
  ]);
  if (outcome === "ready") client.close();
  return outcome;
}

describe("im.admin", () => {
  it("a suspension closes the user's sessions on every node with 4403 and refuses new ones within the bound; lifting it lets them in", async () => {
    const { a, b } = await cluster();
    const onA = await a.login("bob");
    const onB = await b.login("bob");
    // Both nodes have read (and cached) bob as not suspended.
    expect(await b.im.admin.suspensionOf("bob")).toBeUndefined();
    expect(await a.im.admin.suspensionOf("bob")).toBeUndefined();

    const suspension = await a.im.admin.suspend(root, "bob", {
      reason: "spam",
      durationMs: 60_000,
    });
    expect(suspension).toMatchObject({
      userId: "bob",
      kind: "suspend",
      reason: "spam",
      by: "root",
    });
    const [codeA, codeB] = await Promise.all([onA.closed, onB.closed]);
    expect([codeA, codeB]).toEqual([CloseCode.suspended, CloseCode.suspended]);
    expect(onB.closeReason).toBe("suspended");
    await eventually(
      async () => {
        expect(await tryLogin(b, "bob")).toBe(CloseCode.suspended);
        expect(await tryLogin(a, "bob")).toBe(CloseCode.suspended);
      },
      { timeoutMs: REFUSAL_BOUND_MS },
    );
    // Others are not affected.
    expect(await tryLogin(b, "carol")).toBe("ready");

    expect(await b.im.admin.unsuspend(root, "bob")).toBe(true);
    await eventually(
      async () => {
        expect(await tryLogin(a, "bob")).toBe("ready");
        expect(await tryLogin(b, "bob")).toBe("ready");
      },
      { timeoutMs: REFUSAL_BOUND_MS },
    );
    expect(await a.im.admin.unsuspend(root, "bob")).toBe(false);
    const audit = await a.im.admin.audit(root, { targetId: "bob" });
    expect(audit.map((e) => e.action)).toEqual(["unsuspend", "unsuspend", "suspend"]);
    expect(audit[2]).toMatchObject({
      actorId: "root",
      targetKind: "user",
      details: { reason: "spam" },
    });
  });

  it("a suspension expires by itself; a ban has no end", async () => {
    const { a } = await cluster({ caches: { suspension: { ttlMs: 0 } } });
    await a.im.admin.suspend(root, "dave", { durationMs: 50 });
    expect(await tryLogin(a, "dave")).toBe(CloseCode.suspended);
    await eventually(async () => expect(await tryLogin(a, "dave")).toBe("ready"));
    const ban = await a.im.admin.suspend(root, "dave", { kind: "ban" });
    expect(ban.expiresAt).toBeNull();
    expect(await tryLogin(a, "dave")).toBe(CloseCode.suspended);
    expect((await a.im.admin.suspensions(root)).map((s) => s.userId)).toEqual(["dave"]);
  });

  it("a plain user is forbidden every admin operation; the isAdmin callback makes an admin", async () => {
    const { a } = await cluster();
    const forbidden: (() => Promise<unknown>)[] = [
      () => a.im.admin.suspend(plain, "bob"),
      () => a.im.admin.unsuspend(plain, "bob"),
      () => a.im.admin.suspensions(plain),
      () => a.im.admin.forceLogout(plain, "bob"),
      () => a.im.admin.deleteMessage(plain, "m_1"),
      () => a.im.admin.removeMember(plain, "g1", "bob"),
      () => a.im.admin.stats(plain),
      () => a.im.admin.sessions(plain, "bob"),
      () => a.im.admin.reports(plain),
      () => a.im.admin.resolveReport(plain, 1, { status: "resolved" }),
      () => a.im.admin.audit(plain),
    ];
    for (const [i, call] of forbidden.entries())
      await expectImError(call(), "forbidden", `call ${i}`);
    expect(await a.im.admin.isAdmin({ userId: "x", claims: { admin: "yes" } })).toBe(false);

    const withCallback = await startServer({
      admin: { isAdmin: (id) => id === "mallory", claim: null },
    });
    started.push(withCallback);
    expect(await withCallback.im.admin.isAdmin(plain)).toBe(true);
    expect(await withCallback.im.admin.isAdmin(root)).toBe(false);
    expect(await withCallback.im.admin.audit(plain)).toEqual([]);
  });

  it("refuses bad input: wrong ids, oversize reasons, bad durations and pages", async () => {
    const { a } = await cluster();
    const long = "r".repeat(a.im.limits.maxModerationReasonLength + 1);
    const cases: (() => Promise<unknown>)[] = [
      () => a.im.admin.suspend(root, "has space"),
      () => a.im.admin.suspend(root, ""),
      () => a.im.admin.suspend(root, "bob", { reason: long }),
      () => a.im.admin.suspend(root, "bob", { durationMs: -5 }),
      () => a.im.admin.suspend(root, "bob", { kind: "mute" as "ban" }),
      () => a.im.admin.suspend(root, "root"),
      () => a.im.admin.sessions(root, "a:b"),
      () => a.im.admin.deleteMessage(root, ""),
      () => a.im.admin.deleteMessage(root, "m_1", long),
      () => a.im.admin.removeMember(root, "", "bob"),
      () => a.im.admin.resolveReport(root, 0, { status: "resolved" }),
      () => a.im.admin.resolveReport(root, 1, { status: "open" as "resolved" }),
      () => a.im.admin.reports(root, { before: -1 }),
      () => a.im.admin.audit(root, { limit: 0 }),
      () => a.im.admin.report("bob", { kind: "user", userId: "alice" }, long),
      () => a.im.admin.report("bob", { kind: "user", userId: "bob" }, "me"),
      () => a.im.admin.report("bob", { kind: "user", userId: "alice" }, "   "),
      () => a.im.admin.report("bob", { kind: "group" } as never, "x"),
    ];
    for (const [i, call] of cases.entries())
      await expectImError(call(), "bad_request", `case ${i}`);
    await expectImError(
      a.im.admin.deleteMessage(root, "m_unknown"),
      "not_found",
      "unknown message",
    );
    await expectImError(
      a.im.admin.resolveReport(root, 999, { status: "resolved" }),
      "not_found",
      "unknown report",
    );
    await expectImError(
      a.im.admin.removeMember(root, "g_unknown", "bob"),
      "not_found",
      "unknown group",
    );
  });

  it("deletes any message as removed by an admin: recalled with reason admin, the change, the audit entry", async () => {
    const { a, b } = await cluster();
    const alice = await a.login("alice");
    const bob = await b.login("bob");
    const sent = await sendText(alice, { type: "user", id: "bob" }, "spam spam");
    await bob.next("message");
    await a.im.admin.deleteMessage(root, sent.messageId, "spam");
    for (const client of [alice, bob]) {
      const frame = await client.next<RecalledFrame>("recalled");
      expect(frame).toMatchObject({
        messageId: sent.messageId,
        by: "root",
        reason: "admin",
      });
    }
    expect((await a.im.storage.messages.get(sent.messageId))?.recalled).toBe(true);
    const [entry] = await a.im.admin.audit(root, { limit: 1 });
    expect(entry).toMatchObject({
      action: "delete_message",
      targetKind: "message",
      targetId: sent.messageId,
      details: {
        from: "alice",
        reason: "spam",
        conversationId: sent.conversationId,
      },
    });
  });

  it("removes a member from any group, never its owner; force logout closes with 4401; sessions on every node", async () => {
    const { a, b } = await cluster({ admin: { statsIntervalMs: 20 } });
    const group = await a.im.groups.create({
      ownerId: "alice",
      name: "g",
      memberIds: ["bob"],
    });
    const bob = await b.login("bob");
    const bob2 = await a.login("bob");
    const sessions = await a.im.admin.sessions(root, "bob");
    expect(sessions.map((s) => s.nodeId).sort()).toEqual(["A", "B"]);
    await a.im.admin.removeMember(root, group.groupId, "bob");
    expect((await a.im.groups.get(group.groupId))?.members.map((m) => m.userId)).toEqual(["alice"]);
    await expectImError(a.im.admin.removeMember(root, group.groupId, "bob"), "not_found", "again");
    await expectImError(a.im.admin.removeMember(root, group.groupId, "alice"), "conflict", "owner");

    await eventually(async () => {
      const stats = await a.im.admin.stats(root);
      expect(stats.nodes.map((n) => n.nodeId)).toEqual(["A", "B"]);
      expect(stats.nodes[1]!.sessions).toBe(1);
    });
    const stats = await b.im.admin.stats(root);
    expect(stats.outboxBacklog).toBeGreaterThanOrEqual(0);
    expect(stats.nodes[0]).toMatchObject({ nodeId: "B", sessions: 1 });

    await b.im.admin.forceLogout(root, "bob");
    expect(await bob.closed).toBe(CloseCode.unauthorized);
    expect(await bob2.closed).toBe(CloseCode.unauthorized);
    const actions = (await a.im.admin.audit(root, { actorId: "root" })).map((e) => e.action);
    expect(actions).toEqual(["force_logout", "remove_member"]);
  });

  it("reports: a participant reports a message, a user reports a user, floods are limited; admins list and resolve", async () => {
    const { a } = await cluster({ limits: { reportsPerWindow: 3 } });
    const alice = await a.login("alice");
    const sent = await sendText(alice, { type: "user", id: "bob" }, "buy now");
    const first = await a.im.admin.report(
      "bob",
      { kind: "message", messageId: sent.messageId },
      "scam",
    );
    expect(first).toMatchObject({
      reporterId: "bob",
      target: { kind: "message", messageId: sent.messageId, userId: "alice" },
      status: "open",
    });
    // A stranger cannot report (or learn of) a message they cannot see.
    await expectImError(
      a.im.admin.report("eve", { kind: "message", messageId: sent.messageId }, "x"),
      "not_found",
      "stranger",
    );
    await expectImError(
      a.im.admin.report("bob", { kind: "message", messageId: "m_nope" }, "x"),
      "not_found",
      "unknown",
    );
    const second = await a.im.admin.report("bob", { kind: "user", userId: "alice" }, "rude");
    await a.im.admin.report("bob", { kind: "user", userId: "zed" }, "rude");
    await expectImError(
      a.im.admin.report("bob", { kind: "user", userId: "alice" }, "again"),
      "rate_limited",
      "flood",
    );
    const open = await a.im.admin.reports(root, { status: "open", limit: 2 });
    expect(open.map((r) => r.reportId)).toEqual([second.reportId + 1, second.reportId]);
    const older = await a.im.admin.reports(root, { before: second.reportId });
    expect(older.map((r) => r.reportId)).toEqual([first.reportId]);
    const done = await a.im.admin.resolveReport(root, first.reportId, {
      status: "resolved",
      note: "removed",
    });
    expect(done).toMatchObject({
      status: "resolved",
      resolvedBy: "root",
      resolution: "removed",
    });
    await expectImError(
      a.im.admin.resolveReport(root, first.reportId, { status: "dismissed" }),
      "conflict",
      "twice",
    );
    const [entry] = await a.im.admin.audit(root, { limit: 1 });
    expect(entry).toMatchObject({
      action: "report_resolved",
      targetId: String(first.reportId),
    });
  });
});
