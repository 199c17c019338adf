import { eventually } from "@lucky-im/core/testing";
import { beforeEach, describe, expect, it } from "vitest";
import { scenarioServers, send, sendText } from "../../../test/engine-scenario-harness.js";
import {
  createMemoryStorage,
  createMemoryStorageBackend,
  type ImLimits,
  type MemoryStorageBackend,
} from "../src/index.js";

// A fresh backend per test: the engines one test starts are nodes on one store.
let backend: MemoryStorageBackend;
beforeEach(() => {
  backend = createMemoryStorageBackend();
});
const start = scenarioServers(async () => ({ storage: createMemoryStorage({ backend }) }));

/** A group of owner, admin and plain, on an engine with the given limits. */
async function setup(limits: Partial<ImLimits> = {}) {
  const { im, login } = await start({ limits });
  const groups = im.groups;
  const group = await groups.create({
    ownerId: "owner",
    name: "joins",
    memberIds: ["admin", "plain"],
  });
  await groups.setRole(group.groupId, "owner", "admin", "admin");
  return { login, groups, groupId: group.groupId };
}

describe("group joins (im.groups)", () => {
  it("approval: a request reaches the admins; approval lets the requester send at once", async () => {
    const { login, groups, groupId } = await setup();
    const admin = await login("admin");
    const requester = await login("req");
    await groups.updateJoinSettings(groupId, "owner", { joinMode: "approval" });
    expect(await groups.joinSettings(groupId)).toEqual({
      joinMode: "approval",
      invitePolicy: "members",
    });
    const to = { type: "group" as const, id: groupId };
    expect(await send(requester, to, "before")).toMatchObject({ type: "error", code: "forbidden" });

    const ticket = await groups.requestJoin(groupId, "req", "  hello, I am req  ");
    expect(ticket).toMatchObject({
      kind: "request",
      userId: "req",
      message: "hello, I am req",
      state: "pending",
    });
    expect(
      await admin.next((f) => f.type === "group" && f.event === "join_requested"),
    ).toMatchObject({ groupId, userIds: ["req"], by: "req" });
    await expect(groups.requestJoin(groupId, "req")).rejects.toMatchObject({ code: "conflict" });
    await expect(groups.join(groupId, "req")).rejects.toMatchObject({ code: "forbidden" });
    expect((await groups.listRequests(groupId, "admin")).map((t) => t.ticketId)).toEqual([
      ticket.ticketId,
    ]);
    await expect(groups.listRequests(groupId, "plain")).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(groups.approveRequest(ticket.ticketId, "plain")).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(groups.approveRequest(ticket.ticketId, "stranger")).rejects.toMatchObject({
      code: "forbidden",
    });

    expect(await groups.approveRequest(ticket.ticketId, "admin")).toEqual({
      groupId,
      joined: true,
    });
    expect(
      await requester.next((f) => f.type === "group" && f.event === "member_added"),
    ).toMatchObject({ userIds: ["req"], by: "admin" });
    await sendText(requester, to, "after");
    await expect(groups.approveRequest(ticket.ticketId, "admin")).rejects.toMatchObject({
      code: "forbidden",
      details: { reason: "decided" },
    });
    expect(await groups.listRequests(groupId, "admin")).toEqual([]);
  });

  it("decline tells the requester; bad messages, unknown ids and the per-user limit are refused", async () => {
    const { login, groups, groupId } = await setup({
      maxPendingJoinRequestsPerUser: 1,
      maxJoinMessageLength: 10,
    });
    await groups.updateJoinSettings(groupId, "admin", { joinMode: "approval" });
    const requester = await login("req");
    await expect(groups.requestJoin(groupId, "req", "x".repeat(11))).rejects.toMatchObject({
      code: "bad_request",
    });
    await expect(groups.requestJoin(groupId, "req", "bad \ud800")).rejects.toMatchObject({
      code: "bad_request",
    });
    await expect(groups.requestJoin("nope", "req")).rejects.toMatchObject({ code: "not_found" });
    await expect(groups.requestJoin(groupId, "plain")).rejects.toMatchObject({ code: "conflict" });
    const ticket = await groups.requestJoin(groupId, "req");
    const other = await groups.create({ ownerId: "owner", name: "other" });
    await groups.updateJoinSettings(other.groupId, "owner", { joinMode: "approval" });
    await expect(groups.requestJoin(other.groupId, "req")).rejects.toMatchObject({
      code: "rate_limited",
    });
    await expect(groups.declineRequest(ticket.ticketId, "plain")).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(groups.declineRequest("nope", "admin")).rejects.toMatchObject({
      code: "not_found",
    });
    expect(await groups.declineRequest(ticket.ticketId, "admin")).toMatchObject({
      state: "declined",
    });
    expect(
      await requester.next((f) => f.type === "group" && f.event === "join_declined"),
    ).toMatchObject({ userIds: ["req"], by: "admin" });
    await expect(groups.approveRequest(ticket.ticketId, "admin")).rejects.toMatchObject({
      code: "forbidden",
    });
    // The declined request no longer counts: the user may ask the other group.
    await groups.requestJoin(other.groupId, "req");
  });

  it("modes: open joins at once; invite only refuses a join and a request", async () => {
    const { groups, groupId } = await setup();
    await expect(groups.join(groupId, "x")).rejects.toMatchObject({ code: "forbidden" });
    await expect(groups.requestJoin(groupId, "x")).rejects.toMatchObject({ code: "forbidden" });
    await expect(
      groups.updateJoinSettings(groupId, "plain", { joinMode: "open" }),
    ).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(
      groups.updateJoinSettings(groupId, "owner", { joinMode: "wide" as never }),
    ).rejects.toMatchObject({ code: "bad_request" });
    await groups.updateJoinSettings(groupId, "owner", { joinMode: "open" });
    await expect(groups.requestJoin(groupId, "x")).rejects.toMatchObject({ code: "conflict" });
    expect(await groups.join(groupId, "x")).toEqual({ groupId, joined: true });
    expect(await groups.join(groupId, "x")).toEqual({ groupId, joined: false });
    await expect(groups.join("nope", "x")).rejects.toMatchObject({ code: "not_found" });
  });

  it("invitations: policy, accept, decline, someone else's invitation, the cap", async () => {
    const { im, login } = await start({ limits: { maxGroupSize: 4 } });
    const groups = im.groups;
    const { groupId } = await groups.create({
      ownerId: "owner",
      name: "inv",
      memberIds: ["plain"],
    });
    const invitee = await login("guest");
    const invitation = await groups.invite(groupId, "plain", "guest", "come");
    expect(await invitee.next((f) => f.type === "group" && f.event === "invited")).toMatchObject({
      userIds: ["guest"],
      by: "plain",
    });
    await expect(groups.invite(groupId, "plain", "guest")).rejects.toMatchObject({
      code: "conflict",
    });
    await expect(groups.invite(groupId, "stranger", "x")).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(groups.invite(groupId, "owner", "plain")).rejects.toMatchObject({
      code: "conflict",
    });
    expect((await groups.listInvitations("guest")).map((t) => t.ticketId)).toEqual([
      invitation.ticketId,
    ]);
    await expect(groups.acceptInvitation(invitation.ticketId, "other")).rejects.toMatchObject({
      code: "not_found",
    });
    expect(await groups.acceptInvitation(invitation.ticketId, "guest")).toEqual({
      groupId,
      joined: true,
    });
    expect(await groups.listInvitations("guest")).toEqual([]);

    await groups.updateJoinSettings(groupId, "owner", { invitePolicy: "admins" });
    await expect(groups.invite(groupId, "plain", "x")).rejects.toMatchObject({ code: "forbidden" });
    await expect(groups.createInviteLink(groupId, "plain")).rejects.toMatchObject({
      code: "forbidden",
    });
    const declined = await groups.invite(groupId, "owner", "no");
    expect(await groups.declineInvitation(declined.ticketId, "no")).toMatchObject({
      state: "declined",
    });
    const late = await groups.invite(groupId, "owner", "late");
    await groups.addMembers(groupId, "owner", ["filler"]);
    await expect(groups.acceptInvitation(late.ticketId, "late")).rejects.toMatchObject({
      code: "too_large",
    });
  });

  it("a node whose cache predates a join on another node lets the new member send (no broadcast needed)", async () => {
    // Two nodes on one store but on separate brokers: B never hears A's invalidation.
    const nodeA = await start();
    const nodeB = await start();
    const { groupId } = await nodeA.im.groups.create({ ownerId: "owner", name: "two nodes" });
    await nodeA.im.groups.updateJoinSettings(groupId, "owner", { joinMode: "approval" });
    const requester = await nodeB.login("req");
    const to = { type: "group" as const, id: groupId };
    expect(await send(requester, to, "before")).toMatchObject({ type: "error", code: "forbidden" });
    const ticket = await nodeA.im.groups.requestJoin(groupId, "req");
    await nodeA.im.groups.approveRequest(ticket.ticketId, "owner");
    await sendText(requester, to, "after");
  });

  it("invite links: once per user, max uses, revoke, who may revoke", async () => {
    const { login, groups, groupId } = await setup();
    const newcomer = await login("n1");
    await expect(groups.createInviteLink(groupId, "stranger")).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(groups.createInviteLink(groupId, "owner", { ttlMs: 10 })).rejects.toMatchObject({
      code: "bad_request",
    });
    await expect(groups.createInviteLink(groupId, "owner", { maxUses: 0 })).rejects.toMatchObject({
      code: "bad_request",
    });
    const link = await groups.createInviteLink(groupId, "plain", { maxUses: 2 });
    expect(link).toMatchObject({ groupId, createdBy: "plain", maxUses: 2, uses: 0 });
    expect(link.code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect((await groups.listInviteLinks(groupId, "admin")).map((l) => l.code)).toEqual([
      link.code,
    ]);
    expect(await groups.listInviteLinks(groupId, "owner")).toHaveLength(1);
    expect(await groups.joinByLink(link.code, "n1")).toEqual({ groupId, joined: true });
    await sendText(newcomer, { type: "group", id: groupId }, "in by link");
    await groups.leave(groupId, "n1");
    await expect(groups.joinByLink(link.code, "n1")).rejects.toMatchObject({
      code: "forbidden",
      details: { reason: "already_used" },
    });
    await expect(groups.revokeInviteLink(link.code, "other")).rejects.toMatchObject({
      code: "forbidden",
    });
    await groups.revokeInviteLink(link.code, "admin");
    await expect(groups.joinByLink(link.code, "n2")).rejects.toMatchObject({
      code: "forbidden",
      details: { reason: "revoked" },
    });
    await expect(groups.joinByLink("nope", "n2")).rejects.toMatchObject({ code: "not_found" });
    expect(await groups.listInviteLinks(groupId, "admin")).toEqual([]);
  });
});

describe("expired join tickets and links (joinPurge)", () => {
  it("the node purges tickets and links past their expiry and the retention; live ones stay", async () => {
    const { im } = await start({ joinPurge: { intervalMs: 20, expiredRetentionMs: 60_000 } });
    const { groupId } = await im.groups.create({ ownerId: "owner", name: "purge" });
    const joins = im.storage.groupJoins;
    const at = Date.now();
    const ticket = (ticketId: string, expiresAt: number) =>
      joins.openTicket({
        ticketId,
        groupId,
        kind: "request",
        userId: ticketId,
        by: ticketId,
        message: "",
        createdAt: at - 3_600_000,
        expiresAt,
      });
    // Expired past the retention, expired within it, and pending.
    await ticket("old", at - 120_000);
    await ticket("recent", at - 1_000);
    await ticket("live", at + 3_600_000);
    await joins.createLink({
      code: "old-link",
      groupId,
      createdBy: "owner",
      createdAt: at - 3_600_000,
      expiresAt: at - 120_000,
      maxUses: null,
    });
    await eventually(async () => (await joins.link("old-link")) === undefined, {
      message: "the old link purged",
    });
    expect(await joins.ticket("old", Date.now())).toBeUndefined();
    expect(await joins.ticket("recent", Date.now())).toMatchObject({ state: "expired" });
    expect(await joins.ticket("live", Date.now())).toMatchObject({ state: "pending" });
  });

  it("a failing purge is reported on `error` with its context, and runs again", async () => {
    const { im } = await start({ joinPurge: { intervalMs: 20 } });
    const failures: string[] = [];
    im.on("error", (error, context) => failures.push(`${context}: ${error.message}`));
    im.storage.groupJoins.purgeExpired = async () => {
      throw new Error("database down");
    };
    await eventually(() => failures.length >= 2, { message: "two failed purges reported" });
    expect(failures[0]).toBe("group join purge: database down");
  });

  it("refuses a negative interval or retention with a ConfigError naming the option", async () => {
    await expect(start({ joinPurge: { intervalMs: -1 } })).rejects.toMatchObject({
      code: "bad_request",
      option: "joinPurge.intervalMs",
    });
    await expect(start({ joinPurge: { expiredRetentionMs: Number.NaN } })).rejects.toMatchObject({
      option: "joinPurge.expiredRetentionMs",
    });
  });
});
