import { describe, expect, it } from "vitest";
import { request, scenarioServers, send, sendText } from "../../../test/engine-scenario-harness.js";
import { createMemoryStorage, type ImLimits } from "../src/index.js";

const start = scenarioServers(async () => ({ storage: createMemoryStorage() }));

/** A group of owner, admin and plain, on an engine with the given limits. */
async function setup(limits: Partial<ImLimits> = {}) {
  const { im, login } = await start({ limits });
  const groups = im.groups;
  const group = await groups.create({
    ownerId: "owner",
    name: "profile",
    memberIds: ["admin", "plain"],
  });
  await groups.setRole(group.groupId, "owner", "admin", "admin");
  return { im, login, groups, groupId: group.groupId };
}

describe("group description, avatar and announcement (im.groups)", () => {
  it("owner and admins set the description; members get `group updated`; bad input is refused", async () => {
    const { login, groups, groupId } = await setup({ maxGroupDescriptionLength: 20 });
    const plain = await login("plain");
    await groups.setDescription(groupId, "admin", "Team ✨ notes");
    expect(await plain.next((f) => f.type === "group" && f.event === "updated")).toMatchObject({
      groupId,
      by: "admin",
    });
    expect((await groups.get(groupId))?.description).toBe("Team ✨ notes");
    await groups.setDescription(groupId, "owner", "");
    expect((await groups.get(groupId))?.description).toBe("");

    await expect(groups.setDescription(groupId, "plain", "mine")).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(groups.setDescription(groupId, "stranger", "x")).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(groups.setDescription("nope", "owner", "x")).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(groups.setDescription(groupId, "owner", "x".repeat(21))).rejects.toMatchObject({
      code: "too_large",
    });
    await expect(groups.setDescription(groupId, "owner", "bad \ud800")).rejects.toMatchObject({
      code: "bad_request",
    });
    expect((await groups.get(groupId))?.description).toBe("");
  });

  it("an announcement reaches every member with its text, author and time; removing it too", async () => {
    const { login, groups, groupId } = await setup({ maxGroupAnnouncementLength: 30 });
    const owner = await login("owner");
    const plain = await login("plain");
    const before = Date.now();
    const set = await groups.setAnnouncement(groupId, "admin", "Release on Friday 🚀");
    expect(set).toMatchObject({ text: "Release on Friday 🚀", by: "admin" });
    expect(set!.at).toBeGreaterThanOrEqual(before);
    for (const client of [owner, plain]) {
      expect(
        await client.next((f) => f.type === "group" && f.event === "announcement"),
      ).toMatchObject({ groupId, by: "admin", userIds: [], announcement: set });
    }
    expect((await groups.get(groupId))?.announcement).toEqual(set);

    await groups.setAnnouncement(groupId, "owner", null);
    expect(
      await plain.next(
        (f) => f.type === "group" && f.event === "announcement" && f.announcement === null,
      ),
    ).toMatchObject({ by: "owner" });
    expect((await groups.get(groupId))?.announcement).toBeNull();

    await expect(groups.setAnnouncement(groupId, "plain", "hi all")).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(groups.setAnnouncement(groupId, "stranger", "hi")).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(groups.setAnnouncement("nope", "owner", "hi")).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(groups.setAnnouncement(groupId, "owner", "   ")).rejects.toMatchObject({
      code: "bad_request",
    });
    await expect(groups.setAnnouncement(groupId, "owner", "x".repeat(31))).rejects.toMatchObject({
      code: "too_large",
    });
    expect((await groups.get(groupId))?.announcement).toBeNull();
  });

  it("owner and admins set and remove the avatar URL; plain members and long URLs are refused", async () => {
    const { groups, groupId } = await setup({ maxGroupAvatarLength: 40 });
    await groups.setAvatar(groupId, "admin", "/files/f_abc");
    expect((await groups.get(groupId))?.avatar).toBe("/files/f_abc");
    await expect(groups.setAvatar(groupId, "plain", "/files/f_x")).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(
      groups.setAvatar(groupId, "owner", `/files/${"x".repeat(40)}`),
    ).rejects.toMatchObject({ code: "too_large" });
    await expect(groups.setAvatar(groupId, "owner", "")).rejects.toMatchObject({
      code: "bad_request",
    });
    await groups.setAvatar(groupId, "owner", null);
    expect((await groups.get(groupId))?.avatar).toBeNull();
  });
});

describe("who may post (im.groups.setPostPolicy)", () => {
  it("admins only: a plain member's send, typing and edit get a forbidden error frame; admins still post", async () => {
    const { login, groups, groupId } = await setup();
    const to = { type: "group" as const, id: groupId };
    const plain = await login("plain");
    const admin = await login("admin");
    const earlier = await sendText(plain, to, "before");

    await expect(groups.setPostPolicy(groupId, "plain", "admins")).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(
      groups.setPostPolicy(groupId, "owner", "nobody" as "admins"),
    ).rejects.toMatchObject({ code: "bad_request" });
    await groups.setPostPolicy(groupId, "admin", "admins");
    expect(await plain.next((f) => f.type === "group" && f.event === "updated")).toMatchObject({
      by: "admin",
    });
    expect((await groups.get(groupId))?.mutedAll).toBe(true);

    expect(await send(plain, to, "refused")).toMatchObject({
      type: "error",
      code: "forbidden",
      message: `only the owner and admins may post in group ${groupId}`,
    });
    plain.send({ type: "typing", to });
    expect(await plain.next("error")).toMatchObject({ code: "forbidden" });
    expect(
      await request(
        plain,
        { type: "edit", messageId: earlier.messageId, body: { type: "text", text: "changed" } },
        ["applied"],
      ),
    ).toMatchObject({ type: "error", code: "forbidden" });

    await sendText(admin, to, "admins may post");
    await groups.setPostPolicy(groupId, "owner", "everyone");
    await sendText(plain, to, "after");
  });
});

describe("the invitee's privacy (im.groups with im.contacts)", () => {
  it("a user who lets only contacts add them is refused a direct add but can be invited and accept", async () => {
    const { im, groups, groupId } = await setup();
    const contacts = im.contacts;
    await contacts.setPrivacy("careful", { groupInvites: "contacts" });
    await expect(groups.addMembers(groupId, "owner", ["careful"])).rejects.toMatchObject({
      code: "forbidden",
      details: { userIds: ["careful"] },
    });
    await expect(
      groups.create({ ownerId: "owner", name: "x", memberIds: ["careful"] }),
    ).rejects.toMatchObject({ code: "forbidden" });

    const invitation = await groups.invite(groupId, "owner", "careful");
    expect(await groups.listInvitations("careful")).toMatchObject([
      { ticketId: invitation.ticketId },
    ]);
    expect(await groups.acceptInvitation(invitation.ticketId, "careful")).toEqual({
      groupId,
      joined: true,
    });

    // Once contacts, a direct add passes the same policy.
    const other = await groups.create({ ownerId: "owner", name: "other" });
    await contacts.request("owner", "careful");
    await contacts.accept("careful", "owner");
    expect(await groups.addMembers(other.groupId, "owner", ["careful"])).toEqual(["careful"]);
  });

  it("nobody may add or invite a user who blocked them, with the same answer as any refusal", async () => {
    const { im, groups, groupId } = await setup();
    await im.contacts.block("blocker", "plain");
    await expect(groups.invite(groupId, "plain", "blocker")).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(groups.addMembers(groupId, "admin", ["blocker"])).resolves.toEqual(["blocker"]);
    await groups.removeMembers(groupId, "owner", ["blocker"]);
    await im.contacts.block("blocker", "admin");
    await expect(groups.addMembers(groupId, "admin", ["blocker"])).rejects.toMatchObject({
      code: "forbidden",
    });
    expect(await groups.listInvitations("blocker")).toEqual([]);
  });
});
