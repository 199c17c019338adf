/**
 * Contacts, blocks and privacy through the engine (issue 16), on any storage: the memory
 * store (packages/core) and PostgreSQL (packages/store-postgres) call {@link describeEngineContacts}.
 */
import type {
  ContactFrame,
  ErrorFrame,
  ImLimits,
  MemoryClient,
  MessageFrame,
} from "@lucky-im/core";
import { eventually, uniqueName } from "@lucky-im/core/testing";
import { describe, expect, it } from "vitest";
import { pause, type ScenarioStorage, scenarioServers, send } from "./engine-scenario-harness.js";

/** A storage for one test, and how to release it. */
export type ContactScenarioStorage = ScenarioStorage;

const unique = uniqueName;
/** Sends a direct text and waits for its `sent` or `error`. */
const sendTo = (client: MemoryClient, to: string) => send(client, to);

/** The code an operation rejects with, or "ok". */
async function codeOf(task: Promise<unknown>): Promise<string> {
  try {
    await task;
    return "ok";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

/** The message an operation rejects with. */
async function messageOf(task: Promise<unknown>): Promise<string> {
  try {
    await task;
    return "resolved";
  } catch (error) {
    return (error as Error).message;
  }
}

/** The contact scenarios on the storage `open` makes. */
export function describeEngineContacts(
  name: string,
  open: () => Promise<ContactScenarioStorage>,
): void {
  describe(`engine contacts and blocking (${name})`, () => {
    const servers = scenarioServers(open);
    const start = (limits: Partial<ImLimits> = {}, options: { relationCacheMs?: number } = {}) =>
      servers({
        ...(options.relationCacheMs === undefined
          ? {}
          : { caches: { relation: { ttlMs: options.relationCacheMs } } }),
        limits,
      });

    it("request, accept, remark and remove reach both users' devices as contact frames", async () => {
      const { im, login } = await start();
      const [a, b] = [unique("ann"), unique("bob")];
      const ann = await login(a);
      const bob = await login(b);
      const requested = await im.contacts.request(a, b, "hello, it's Ann");
      expect(requested.outcome).toBe("requested");
      for (const client of [ann, bob]) {
        expect(await client.next<ContactFrame>("contact")).toEqual({
          type: "contact",
          event: "requested",
          by: a,
          userId: b,
          message: "hello, it's Ann",
        });
      }
      expect((await im.contacts.requests(b, "incoming")).map((r) => r.fromId)).toEqual([a]);
      expect((await im.contacts.requests(a, "outgoing")).map((r) => r.toId)).toEqual([b]);

      await im.contacts.accept(b, a);
      for (const client of [ann, bob]) {
        expect(await client.next<ContactFrame>("contact")).toMatchObject({
          event: "accepted",
          by: b,
          userId: a,
        });
      }
      expect((await im.contacts.list(a)).map((c) => c.contactId)).toEqual([b]);
      expect(await im.contacts.requests(b, "incoming")).toEqual([]);

      await im.contacts.setRemark(a, b, "Bobby");
      expect(await ann.next<ContactFrame>("contact")).toMatchObject({ event: "remark", userId: b });
      expect((await im.contacts.contact(a, b))?.remark).toBe("Bobby");
      expect((await im.contacts.contact(b, a))?.remark, "the other side's remark").toBeNull();

      expect(await im.contacts.remove(b, a)).toBe(true);
      expect(await bob.next<ContactFrame>("contact")).toMatchObject({ event: "removed", by: b });
      expect(await ann.next<ContactFrame>("contact")).toMatchObject({ event: "removed", by: b });
      await pause(50);
      expect(
        bob.all<ContactFrame>("contact").map((f) => f.event),
        "a remark is private: Bob never hears of it",
      ).toEqual(["requested", "accepted", "removed"]);
    });

    it("decline and cancel tell both users; crossed requests become a contact", async () => {
      const { im, login } = await start();
      const [a, b, c] = [unique("ann"), unique("bob"), unique("cat")];
      const bob = await login(b);
      await im.contacts.request(a, b);
      await im.contacts.decline(b, a);
      await im.contacts.request(c, b);
      await im.contacts.cancel(c, b);
      await bob.next((f) => f.type === "contact" && f.event === "cancelled");
      expect(bob.all<ContactFrame>("contact").map((f) => `${f.event}:${f.by}`)).toEqual([
        `requested:${a}`,
        `declined:${b}`,
        `requested:${c}`,
        `cancelled:${c}`,
      ]);
      await im.contacts.request(a, c);
      const crossed = await im.contacts.request(c, a);
      expect(crossed.outcome).toBe("accepted");
      expect((await im.contacts.list(c)).map((x) => x.contactId)).toEqual([a]);
    });

    it("refuses bad requests: self, duplicate, unknown request, oversized texts, a flood", async () => {
      const { im } = await start({ contactRequestsPerWindow: 3 });
      const [a, b, c, d] = [unique("ann"), unique("bob"), unique("cat"), unique("dan")];
      expect(await codeOf(im.contacts.request(a, a))).toBe("bad_request");
      expect(await codeOf(im.contacts.request(a, b, "x".repeat(201)))).toBe("bad_request");
      await im.contacts.request(a, b);
      expect(await codeOf(im.contacts.request(a, b)), "a duplicate").toBe("conflict");
      expect(await codeOf(im.contacts.accept(a, c)), "no such request").toBe("not_found");
      expect(await codeOf(im.contacts.setRemark(a, b, "r")), "not contacts").toBe("not_found");
      await im.contacts.accept(b, a);
      expect(await codeOf(im.contacts.setRemark(a, b, "r".repeat(65)))).toBe("bad_request");
      // The budget (3) is spent by the three requests above (one was refused by the store after it was counted).
      expect(await codeOf(im.contacts.request(a, c))).toBe("rate_limited");
      expect(await codeOf(im.contacts.request(d, c)), "another sender has its own budget").toBe(
        "ok",
      );
    });

    it("a request to or from a user who blocked the other is forbidden, revealing nothing", async () => {
      const { im, login } = await start();
      const [a, b] = [unique("ann"), unique("bob")];
      const bob = await login(b);
      await im.contacts.request(a, b);
      expect(await im.contacts.block(a, b)).toBe(true);
      expect(await im.contacts.block(a, b), "already blocked").toBe(false);
      expect(await im.contacts.requests(b, "incoming"), "the block ended the request").toEqual([]);
      expect(await codeOf(im.contacts.request(b, a))).toBe("forbidden");
      expect(await codeOf(im.contacts.request(a, b)), "the blocker cannot ask either").toBe(
        "forbidden",
      );
      await pause(50);
      expect(
        bob.all<ContactFrame>("contact").map((f) => f.event),
        "the blocked user never hears of the block",
      ).toEqual(["requested"]);
      expect((await im.contacts.blocks(a)).map((x) => x.blockedId)).toEqual([b]);
    });

    it("a block refuses direct send, typing and signal with forbidden at once, then unblock lets them through", async () => {
      const { im, login } = await start();
      const [a, b] = [unique("ann"), unique("bob")];
      const ann = await login(a);
      const bob = await login(b);
      expect((await sendTo(bob, a)).type, "cached as allowed").toBe("sent");
      await im.contacts.block(a, b);
      const refused = (await sendTo(bob, a)) as ErrorFrame;
      expect(refused).toMatchObject({ type: "error", code: "forbidden" });
      bob.send({ type: "typing", to: { type: "user", id: a } });
      expect(await bob.next<ErrorFrame>("error")).toMatchObject({
        code: "forbidden",
        message: refused.message,
      });
      bob.send({ type: "signal", to: { type: "user", id: a }, callId: "call1", data: {} });
      expect(await bob.next<ErrorFrame>("error")).toMatchObject({
        code: "forbidden",
        message: refused.message,
      });
      expect((await sendTo(ann, b)).type, "the blocker may still write").toBe("sent");
      await pause(50);
      expect(ann.all("typing")).toEqual([]);
      expect(ann.all("signal")).toEqual([]);

      await im.contacts.unblock(a, b);
      expect((await sendTo(bob, a)).type).toBe("sent");
    });

    it("a block written behind the engine's back holds within caches.relation.ttlMs", async () => {
      const { im, login } = await start({}, { relationCacheMs: 300 });
      const [a, b] = [unique("ann"), unique("bob")];
      const bob = await login(b);
      expect((await sendTo(bob, a)).type, "the pair is cached as allowed").toBe("sent");
      // Straight to the store: no broadcast, only the TTL drops the cached pair.
      await im.storage.contacts.block(a, b, Date.now());
      await eventually(async () =>
        expect(await sendTo(bob, a)).toMatchObject({ type: "error", code: "forbidden" }),
      );
    });

    it("privacy: contacts-only direct messages refuse strangers with the block's answer; contacts pass", async () => {
      const { im, login } = await start();
      const [a, b, c, d] = [unique("ann"), unique("bob"), unique("cat"), unique("dan")];
      const ann = await login(a);
      const cat = await login(c);
      const dan = await login(d);
      await im.contacts.request(a, c);
      await im.contacts.accept(c, a);
      await im.contacts.block(a, d);
      expect(await im.contacts.setPrivacy(a, { directMessages: "contacts" })).toEqual({
        directMessages: "contacts",
        groupInvites: "anyone",
      });
      expect(
        await ann.next<ContactFrame>((f) => f.type === "contact" && f.event === "privacy"),
      ).toBeTruthy();
      const bobClient = await login(b);
      const stranger = (await sendTo(bobClient, a)) as ErrorFrame;
      const blocked = (await sendTo(dan, a)) as ErrorFrame;
      expect(stranger.code).toBe("forbidden");
      expect(blocked, "a block looks like any other refusal").toMatchObject({
        code: stranger.code,
        message: stranger.message,
      });
      expect((await sendTo(cat, a)).type).toBe("sent");
      expect(await im.contacts.privacy(a)).toMatchObject({ directMessages: "contacts" });
    });

    it("group adds respect blocks and the group invite policy; group messages from a blocked member still arrive", async () => {
      const { im, login } = await start();
      const [a, b, c, d] = [unique("ann"), unique("bob"), unique("cat"), unique("dan")];
      await im.contacts.block(a, b);
      expect(await codeOf(im.groups.create({ ownerId: b, name: "g", memberIds: [a] }))).toBe(
        "forbidden",
      );
      const group = await im.groups.create({ ownerId: b, name: "g", memberIds: [c] });
      expect(await codeOf(im.groups.addMembers(group.groupId, b, [a]))).toBe("forbidden");
      // The blocker adds the blocked user: allowed; then the blocked member's group message arrives.
      const own = await im.groups.create({ ownerId: a, name: "mine", memberIds: [b] });
      const ann = await login(a);
      const bob = await login(b);
      const cid = unique("c");
      bob.send({
        type: "send",
        cid,
        to: { type: "group", id: own.groupId },
        body: { type: "text", text: "g" },
      });
      expect((await ann.next<MessageFrame>("message")).from).toBe(b);

      await im.contacts.setPrivacy(c, { groupInvites: "nobody" });
      expect(await codeOf(im.groups.create({ ownerId: d, name: "x", memberIds: [c] }))).toBe(
        "forbidden",
      );
      await im.contacts.setPrivacy(c, { groupInvites: "contacts" });
      expect(await codeOf(im.groups.create({ ownerId: d, name: "x", memberIds: [c] }))).toBe(
        "forbidden",
      );
      await im.contacts.request(d, c);
      await im.contacts.accept(c, d);
      expect(await codeOf(im.groups.create({ ownerId: d, name: "x", memberIds: [c] }))).toBe("ok");
      expect(
        await messageOf(im.groups.create({ ownerId: b, name: "y", memberIds: [a, c] })),
      ).toContain(a);
    });
  });
}
