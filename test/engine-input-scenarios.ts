/**
 * Hostile-input scenarios of issue 13, run against the engine on any storage: the memory
 * store (packages/core) and PostgreSQL (packages/store-postgres) call {@link describeEngineInput}.
 */
import type {
  ErrorFrame,
  ImLimits,
  MemoryClient,
  MessageFrame,
  ReceiptFrame,
  SentFrame,
  SyncedFrame,
} from "@lucky-im/core";
import { eventually, uniqueName } from "@lucky-im/core/testing";
import { describe, expect, it } from "vitest";
import {
  pause,
  type ScenarioStorage,
  scenarioServers,
  sendText,
} from "./engine-scenario-harness.js";

/** A storage for one test, and how to release it. */
export type { ScenarioStorage };

/** Sends a frame (a raw string too) with a given cid and waits for its `sent` or `error`. */
async function answerTo(client: MemoryClient, frame: string | object, cid: string) {
  client.send(frame);
  return client.next<SentFrame | ErrorFrame>(
    (f) => (f.type === "sent" || f.type === "error") && "cid" in f && f.cid === cid,
  );
}

/** The engine scenarios of issue 13 on the storage `open` makes. */
export function describeEngineInput(name: string, open: () => Promise<ScenarioStorage>): void {
  describe(`engine input and read state (${name})`, () => {
    const servers = scenarioServers(open);
    const start = (limits: Partial<ImLimits> = {}) => servers({ limits });

    it("a forged read receipt carries the stored, capped cursor; none before any message, none backwards", async () => {
      const server = await start();
      const [aliceId, malloryId] = [uniqueName("alice"), uniqueName("mallory")];
      const alice = await server.login(aliceId);
      const mallory = await server.login(malloryId);
      const conversationId = [aliceId, malloryId].sort().join(":");
      const forged = {
        type: "read",
        conversationId: `d:${conversationId}`,
        seq: Number.MAX_SAFE_INTEGER,
      };
      mallory.send(forged);
      mallory.send({ ...forged, type: "ack" });
      await pause(150);
      expect(alice.all("receipt"), "no message yet: no cursor moved, no receipt").toEqual([]);

      await sendText(alice, malloryId, "one");
      await sendText(alice, malloryId, "two");
      mallory.send(forged);
      const receipt = await alice.next<ReceiptFrame>(
        (f) => f.type === "receipt" && f.kind === "read",
      );
      expect(receipt.seq, "the receipt says what the store holds: the last seq").toBe(2);
      mallory.send({ ...forged, seq: 1 });
      await pause(150);
      expect(
        alice.all<ReceiptFrame>("receipt").filter((r) => r.kind === "read"),
        "a read below the stored cursor moves nothing and sends no receipt",
      ).toHaveLength(1);
      const later = await sendText(alice, malloryId, "three");
      const [summary] = await server.im.conversations(malloryId);
      expect(summary, "the later message is unread").toMatchObject({
        lastSeq: later.seq,
        readSeq: 2,
        unread: 1,
      });
    });

    it("a custom body nested past maxJsonDepth is bad_request with its cid; the victim's list, history and sync still work", async () => {
      const server = await start();
      const [aliceId, bobId] = [uniqueName("alice"), uniqueName("bob")];
      const alice = await server.login(aliceId);
      const bob = await server.login(bobId);
      await sendText(alice, bobId, "before");
      const deep = `${"[".repeat(2_500)}${"]".repeat(2_500)}`;
      const poison = `{"type":"send","cid":"deep-1","to":{"type":"user","id":"${bobId}"},"body":{"type":"custom","data":${deep}}}`;
      expect(await answerTo(alice, poison, "deep-1")).toMatchObject({
        type: "error",
        code: "bad_request",
        cid: "deep-1",
      });
      const nested = (depth: number): unknown => (depth === 0 ? 1 : { n: nested(depth - 1) });
      // The frame is level 1, the body 2: 30 nested objects in data make 32, the default limit.
      const fits = await answerTo(
        alice,
        {
          type: "send",
          cid: "deep-ok",
          to: { type: "user", id: bobId },
          body: { type: "custom", data: nested(30) },
        },
        "deep-ok",
      );
      expect(fits.type, "a value at the limit is accepted").toBe("sent");

      const conversations = await server.im.conversations(bobId);
      expect(conversations.map((c) => c.lastSeq)).toEqual([2]);
      const history = await server.im.history(bobId, conversations[0]!.conversationId);
      expect(history.messages).toHaveLength(2);
      bob.send({ type: "sync", cursors: { [conversations[0]!.conversationId]: 0 } });
      const synced = await bob.next<SyncedFrame>("synced");
      expect(synced.conversations).toHaveLength(1);
      expect(bob.all<MessageFrame>("message").length).toBeGreaterThanOrEqual(2);
    });

    it("a frame over maxFrameBytes is bad_request with its cid; nothing is stored", async () => {
      const server = await start({ maxFrameBytes: 2_000 });
      const [aliceId, bobId] = [uniqueName("alice"), uniqueName("bob")];
      const alice = await server.login(aliceId);
      const frame = {
        type: "send",
        cid: "big-1",
        to: { type: "user", id: bobId },
        body: { type: "text", text: "é".repeat(1_000) },
      };
      expect(await answerTo(alice, frame, "big-1")).toMatchObject({
        type: "error",
        code: "bad_request",
        cid: "big-1",
      });
      expect(await server.im.conversations(aliceId)).toEqual([]);
    });

    it("a lone surrogate in any string is bad_request with the cid; a cid retry still gets the original sent", async () => {
      const server = await start();
      const [aliceId, bobId] = [uniqueName("alice"), uniqueName("bob")];
      const alice = await server.login(aliceId);
      const to = { type: "user", id: bobId };
      // JSON.stringify escapes a lone surrogate ("\ud800"); the raw form reaches a memory transport as is.
      const escaped = { type: "send", cid: "s-1", to, body: { type: "text", text: "a\ud800b" } };
      expect(await answerTo(alice, escaped, "s-1")).toMatchObject({
        code: "bad_request",
        cid: "s-1",
      });
      const raw = `{"type":"send","cid":"s-2","to":{"type":"user","id":"${bobId}"},"body":{"type":"text","text":"x\udc00"}}`;
      expect(await answerTo(alice, raw, "s-2")).toMatchObject({ code: "bad_request", cid: "s-2" });
      const inCustom = {
        type: "send",
        cid: "s-3",
        to,
        body: { type: "custom", data: { ["k\udfff"]: ["v"] } },
      };
      expect(await answerTo(alice, inCustom, "s-3")).toMatchObject({
        code: "bad_request",
        cid: "s-3",
      });
      alice.send({ type: "send", cid: "c\ud800", to, body: { type: "text", text: "hi" } });
      expect(await alice.next<ErrorFrame>("error")).toMatchObject({ code: "bad_request" });
      expect(await server.im.conversations(aliceId), "nothing stored").toEqual([]);

      const cid = "c\ufffd";
      const frame = { type: "send", cid, to, body: { type: "text", text: "hi \u{1F600}" } };
      const first = await answerTo(alice, frame, cid);
      const again = await answerTo(alice, frame, cid);
      expect(first.type).toBe("sent");
      expect(again, "the retry gets the very same sent").toEqual(first);
    });

    it("a late group member's sync {g:0} and history start at their join point", async () => {
      const server = await start();
      const [ownerId, lateId] = [uniqueName("owner"), uniqueName("late")];
      const owner = await server.login(ownerId);
      const group = await server.im.groups.create({ ownerId, name: "g", memberIds: [] });
      const to = { type: "group", id: group.groupId };
      const conversationId = `g:${group.groupId}`;
      for (const text of ["secret 1", "secret 2"]) {
        const cid = uniqueName("g");
        await answerTo(owner, { type: "send", cid, to, body: { type: "text", text } }, cid);
      }
      await server.im.groups.addMembers(group.groupId, ownerId, [lateId]);
      const cid = uniqueName("g");
      await answerTo(owner, { type: "send", cid, to, body: { type: "text", text: "hello" } }, cid);

      const late = await server.login(lateId);
      late.send({ type: "sync", cursors: { [conversationId]: 0 } });
      await late.next("synced");
      const seen = late.all<MessageFrame>(
        (f) => f.type === "message" && f.conversationId === conversationId,
      );
      expect(
        seen.map((m) => m.seq),
        "only what came after the join",
      ).toEqual([3]);
      const history = await server.im.history(lateId, conversationId);
      expect(
        history.messages.map((m) => m.seq),
        "history after the join",
      ).toEqual([3]);
      expect(history.more).toBe(false);
      const ownerHistory = await server.im.history(ownerId, conversationId);
      expect(
        ownerHistory.messages.map((m) => m.seq),
        "members from the start see all",
      ).toEqual([3, 2, 1]);
    });

    it("history of a direct conversation the caller is named in is empty before its first message; others are refused", async () => {
      const server = await start();
      const [aliceId, bobId, eveId] = [uniqueName("alice"), uniqueName("bob"), uniqueName("eve")];
      const conversationId = `d:${[aliceId, bobId].sort().join(":")}`;
      expect(await server.im.history(aliceId, conversationId)).toEqual({
        messages: [],
        more: false,
        reactions: [],
      });
      await expect(server.im.history(eveId, conversationId)).rejects.toMatchObject({
        code: "forbidden",
      });
    });

    it("the conversation list carries the other participants' read and delivered cursors", async () => {
      const server = await start();
      const [aliceId, bobId] = [uniqueName("alice"), uniqueName("bob")];
      const alice = await server.login(aliceId);
      const bob = await server.login(bobId);
      for (let i = 0; i < 3; i++) await sendText(alice, bobId, `m${i}`);
      bob.send({ type: "ack", conversationId: `d:${[aliceId, bobId].sort().join(":")}`, seq: 3 });
      bob.send({ type: "read", conversationId: `d:${[aliceId, bobId].sort().join(":")}`, seq: 2 });
      await alice.next<ReceiptFrame>((f) => f.type === "receipt" && f.kind === "read");
      // The ack and the read are written in separate batches.
      await eventually(async () => {
        const [forAlice] = await server.im.conversations(aliceId);
        expect(forAlice, "alice's new device learns what bob read").toMatchObject({
          peerReadSeq: 2,
          peerDeliveredSeq: 3,
        });
      });
      // The sender's own read cursor moves in a batch after each send.
      await eventually(async () => {
        const [forBob] = await server.im.conversations(bobId);
        expect(forBob, "alice read her own messages").toMatchObject({
          peerReadSeq: 3,
          peerDeliveredSeq: 3,
        });
      });
    });
  });
}
