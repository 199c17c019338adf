/**
 * The `forward` frame of docs/protocol.md §13.2 run against the engine on any storage: the
 * memory store (packages/core) and PostgreSQL (packages/store-postgres) call
 * {@link describeEngineForward}.
 */
import {
  createImServer,
  createMemoryTransport,
  type ErrorFrame,
  type ForwardedFrame,
  ImError,
  type ImLimits,
  type ImServer,
  type ImServerOptions,
  type MemoryClient,
  type MessageFrame,
  type SentFrame,
  type Storage,
} from "@lucky-im/core";
import { uniqueName } from "@lucky-im/core/testing";
import { afterEach, describe, expect, it } from "vitest";

/** A storage for one test, and how to release it. */
export interface ForwardScenarioStorage {
  storage: Storage;
  cleanup?(): Promise<void>;
}

interface Server {
  im: ImServer;
  login(userId: string): Promise<MemoryClient>;
}

type Target = { type: "user" | "group"; id: string };

const quiet = { info() {}, warn() {}, error() {} };

async function sent(client: MemoryClient, to: Target, text: string): Promise<SentFrame> {
  const cid = uniqueName("c");
  client.send({ type: "send", cid, to, body: { type: "text", text } });
  const answer = await client.next<SentFrame | ErrorFrame>(
    (f) => (f.type === "sent" || f.type === "error") && "cid" in f && f.cid === cid,
  );
  if (answer.type === "error") throw new ImError("internal", `${answer.code}: ${answer.message}`);
  return answer;
}

/** Sends a `forward` and waits for its `forwarded` or `error`. */
async function forward(
  client: MemoryClient,
  messageId: string,
  to: Target[],
  cid = uniqueName("f"),
): Promise<ForwardedFrame | ErrorFrame> {
  client.send({ type: "forward", cid, messageId, to });
  return client.next<ForwardedFrame | ErrorFrame>(
    (f) => (f.type === "forwarded" || f.type === "error") && "cid" in f && f.cid === cid,
  );
}

async function forwarded(
  client: MemoryClient,
  messageId: string,
  to: Target[],
  cid?: string,
): Promise<ForwardedFrame> {
  const answer = await forward(client, messageId, to, cid);
  if (answer.type === "error") throw new ImError("internal", `${answer.code}: ${answer.message}`);
  return answer;
}

async function refused(client: MemoryClient, messageId: string, to: Target[]): Promise<string> {
  const answer = await forward(client, messageId, to);
  if (answer.type !== "error") throw new Error(`expected an error, got ${JSON.stringify(answer)}`);
  return answer.code;
}

const messageWithId = (messageId: string) => (f: { type: string }) =>
  f.type === "message" && (f as MessageFrame).messageId === messageId;

/** The forward scenarios on the storage `open` makes. */
export function describeEngineForward(
  name: string,
  open: () => Promise<ForwardScenarioStorage>,
): void {
  describe(`engine forward (${name})`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function start(
      limits: Partial<ImLimits> = {},
      options: Partial<ImServerOptions> = {},
    ): Promise<Server> {
      const { storage, cleanup } = await open();
      const transport = createMemoryTransport();
      const im = createImServer({
        transport,
        storage,
        logger: quiet,
        relay: { intervalMs: 50 },
        limits: { framesPerWindow: 1_000, ...limits },
        authenticator: {
          async authenticate(token) {
            return { userId: token, claims: { sub: token } };
          },
        },
        ...options,
      });
      await im.start();
      cleanups.push(async () => {
        await im.close();
        await cleanup?.();
      });
      return {
        im,
        async login(userId) {
          const client = await transport.connect();
          client.send({ type: "auth", token: userId });
          await client.next("ready");
          return client;
        },
      };
    }

    it("copies a message into a user and a group, marked forwarded; a repeated cid stores nothing twice", async () => {
      const server = await start();
      const [a, b, c, d] = ["a", "b", "c", "d"].map((p) => uniqueName(p));
      const alice = await server.login(a!);
      const bob = await server.login(b!);
      const carol = await server.login(c!);
      const dave = await server.login(d!);
      const group = await server.im.groups.create({ ownerId: b!, name: "g", memberIds: [d!] });
      const original = await sent(alice, { type: "user", id: b! }, "the meeting is at 9");
      const cid = uniqueName("f");
      const targets: Target[] = [
        { type: "user", id: c! },
        { type: "group", id: group.groupId },
      ];
      const answer = await forwarded(bob, original.messageId, targets, cid);
      expect(answer.messages).toHaveLength(2);
      expect(answer.messages[0]).toMatchObject({ conversationId: expect.stringMatching(/^d:/) });
      expect(answer.messages[1]).toMatchObject({ conversationId: `g:${group.groupId}`, seq: 1 });
      const origin = {
        messageId: original.messageId,
        conversationId: original.conversationId,
        from: a,
      };
      for (const [client, copy] of [
        [carol, answer.messages[0]!],
        [dave, answer.messages[1]!],
        // The forwarder's own session gets each copy as a message too.
        [bob, answer.messages[0]!],
      ] as const) {
        const pushed = await client.next<MessageFrame>(messageWithId(copy.messageId));
        expect(pushed).toMatchObject({
          from: b,
          body: { type: "text", text: "the meeting is at 9" },
          forwarded: origin,
        });
      }
      // Same cid again: the same copies, nothing stored twice.
      const again = await forwarded(bob, original.messageId, targets, cid);
      expect(again.messages).toEqual(answer.messages);
      const history = await server.im.history(c!, answer.messages[0]!.conversationId);
      expect(history.messages).toHaveLength(1);
      expect(history.messages[0]!.forwarded).toEqual(origin);
      // A forward of the copy names the first original.
      const chain = await forwarded(carol, answer.messages[0]!.messageId, [
        { type: "user", id: d! },
      ]);
      const second = await dave.next<MessageFrame>(messageWithId(chain.messages[0]!.messageId));
      expect(second.forwarded).toEqual(origin);
      expect(second.from).toBe(c);
    });

    it("refuses strangers, unknown ids, recalled originals, non-member, blocked, repeated and too many targets, storing nothing", async () => {
      const server = await start({ maxForwardTargets: 2 });
      const [a, b, x, m] = ["a", "b", "x", "m"].map((p) => uniqueName(p));
      const alice = await server.login(a!);
      const bob = await server.login(b!);
      const stranger = await server.login(x!);
      const group = await server.im.groups.create({ ownerId: m!, name: "g", memberIds: [] });
      const original = await sent(alice, { type: "user", id: b! }, "private");
      // The stranger cannot read the message: it looks like one that does not exist.
      expect(await refused(stranger, original.messageId, [{ type: "user", id: a! }])).toBe(
        "not_found",
      );
      expect(await refused(bob, "no-such-message", [{ type: "user", id: a! }])).toBe("not_found");
      // Not a member of the target group; a group that does not exist.
      expect(await refused(bob, original.messageId, [{ type: "group", id: group.groupId }])).toBe(
        "forbidden",
      );
      expect(await refused(bob, original.messageId, [{ type: "group", id: "nope" }])).toBe(
        "not_found",
      );
      // One good target and one refused one: no copy anywhere.
      expect(
        await refused(bob, original.messageId, [
          { type: "user", id: x! },
          { type: "group", id: group.groupId },
        ]),
      ).toBe("forbidden");
      expect((await server.im.storage.cursors.conversations(x!)).length).toBe(0);
      // A user who blocked the forwarder.
      await server.im.contacts.block(x!, b!);
      expect(await refused(bob, original.messageId, [{ type: "user", id: x! }])).toBe("forbidden");
      // Too many targets, a repeated target, an empty list (schema).
      expect(
        await refused(bob, original.messageId, [
          { type: "user", id: a! },
          { type: "user", id: m! },
          { type: "user", id: b! },
        ]),
      ).toBe("too_large");
      expect(
        await refused(bob, original.messageId, [
          { type: "user", id: m! },
          { type: "user", id: m! },
        ]),
      ).toBe("bad_request");
      expect(await refused(bob, original.messageId, [])).toBe("bad_request");
      // Recalled: nothing to forward.
      alice.send({ type: "recall", messageId: original.messageId });
      await bob.next("recalled");
      expect(await refused(bob, original.messageId, [{ type: "user", id: m! }])).toBe("conflict");
      // m is in the group only: no direct conversation was made by any refused forward.
      const ofM = await server.im.storage.cursors.conversations(m!);
      expect(ofM.map((s) => s.conversationId)).toEqual([`g:${group.groupId}`]);
    });

    it("a flood of forwards is rate_limited by forwardsPerWindow, counting copies", async () => {
      const server = await start({ forwardsPerWindow: 3, forwardWindowMs: 60_000 });
      const [a, b, c] = ["a", "b", "c"].map((p) => uniqueName(p));
      const alice = await server.login(a!);
      const original = await sent(alice, { type: "user", id: b! }, "spread the word");
      await forwarded(alice, original.messageId, [
        { type: "user", id: b! },
        { type: "user", id: c! },
      ]);
      // Two copies spent, one left; then a flood is refused, storing no copy.
      await forwarded(alice, original.messageId, [{ type: "user", id: a! }]);
      const d = uniqueName("d");
      const flood = await Promise.all(
        Array.from({ length: 5 }, () =>
          forward(alice, original.messageId, [{ type: "user", id: d }]),
        ),
      );
      expect(flood.map((f) => (f.type === "error" ? f.code : f.type))).toEqual(
        Array(5).fill("rate_limited"),
      );
      expect((await server.im.storage.cursors.conversations(d)).length).toBe(0);
    });

    it("forwardShowsSender: false hides the original sender", async () => {
      const server = await start({}, { forwardShowsSender: false });
      const [a, b, c] = ["a", "b", "c"].map((p) => uniqueName(p));
      const alice = await server.login(a!);
      const carol = await server.login(c!);
      const original = await sent(alice, { type: "user", id: b! }, "anonymous tip");
      const bob = await server.login(b!);
      const answer = await forwarded(bob, original.messageId, [{ type: "user", id: c! }]);
      const pushed = await carol.next<MessageFrame>(messageWithId(answer.messages[0]!.messageId));
      expect(pushed.forwarded).toEqual({
        messageId: original.messageId,
        conversationId: original.conversationId,
      });
    });
  });
}
