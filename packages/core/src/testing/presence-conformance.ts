import { afterAll, describe, expect, it } from "vitest";
import type { Presence } from "../contracts/presence.js";
import type { SessionInfo } from "../domain/session.js";
import { expectUnavailableAfterClose } from "./after-close.js";
import { eventually } from "./eventually.js";
import { sorted, uid } from "./fixtures.js";
import type { PresenceSuiteOptions } from "./suite-options.js";

/** A TTL long enough that no node of a test expires by accident on a loaded machine. */
const LONG_TTL_MS = 60_000;
/** The TTL of the expiry test. */
const SHORT_TTL_MS = 1000;

function session(userId: string, nodeId: string, extra: Partial<SessionInfo> = {}): SessionInfo {
  return {
    sessionId: uid("s"),
    userId,
    nodeId,
    deviceId: uid("device"),
    deviceClass: "mobile",
    connectedAt: Date.now(),
    ...extra,
  };
}

/** `nodesOf` as a plain object with sorted user lists, for comparisons. */
async function nodesOf(presence: Presence, userIds: string[]): Promise<Record<string, string[]>> {
  const map = await presence.nodesOf(userIds);
  return Object.fromEntries([...map].map(([nodeId, users]) => [nodeId, sorted(users)]));
}

const bySessionId = (a: SessionInfo, b: SessionInfo) => (a.sessionId < b.sessionId ? -1 : 1);

/**
 * The conformance suite of the {@link Presence} contract. Every presence
 * adapter runs it against its real backend.
 *
 * `create({ nodeTtlMs })` MUST return a new instance on the same backend as
 * the others (two instances are two nodes' views of one cluster). The suite
 * uses fresh user and node ids in every test, and a 1 s TTL in the expiry test.
 *
 * @example
 * ```ts
 * presenceConformance({
 *   name: "redis",
 *   create: async ({ nodeTtlMs }) => createRedisPresence({ url: redisUrl, keyPrefix, nodeTtlMs }),
 * });
 * ```
 */
export function presenceConformance(options: PresenceSuiteOptions): void {
  describe(`${options.name} presence conformance`, () => {
    const instances: Presence[] = [];

    const open = async (nodeTtlMs = LONG_TTL_MS): Promise<Presence> => {
      const instance = await options.create({ nodeTtlMs });
      instances.push(instance);
      return instance;
    };

    afterAll(async () => {
      for (const instance of instances.splice(0)) {
        if (options.destroy) await options.destroy(instance);
        else await instance.close();
      }
    });

    it("register makes a session visible to sessionsOf; unregister removes it", async () => {
      const presence = await open();
      const [node, user] = [uid("node"), uid("user")];
      await presence.heartbeat(node);
      const s1 = session(user, node);
      const s2 = session(user, node, { deviceId: undefined, deviceClass: "web" });
      await presence.register(s1);
      await presence.register(s2);
      expect(
        (await presence.sessionsOf([user])).sort(bySessionId),
        "sessionsOf() after registering two sessions",
      ).toEqual([s1, s2].sort(bySessionId));
      await presence.unregister(s1);
      expect(await presence.sessionsOf([user]), "sessionsOf() after unregistering one").toEqual([
        s2,
      ]);
      await presence.unregister(s2);
      expect(await presence.sessionsOf([user]), "sessionsOf() after unregistering both").toEqual(
        [],
      );
      expect(await presence.sessionsOf([uid("nobody")]), "sessionsOf() of an unknown user").toEqual(
        [],
      );
    });

    it("nodesOf groups 50 users by node in one call and leaves out users without sessions", async () => {
      const presence = await open();
      const [n1, n2] = [uid("node"), uid("node")];
      await presence.heartbeat(n1);
      await presence.heartbeat(n2);
      const users = Array.from({ length: 50 }, (_, i) => uid(`u${i}`));
      await Promise.all(users.map((user, i) => presence.register(session(user, i % 2 ? n2 : n1))));
      const offline = uid("offline");
      expect(
        await nodesOf(presence, [...users, offline]),
        "nodesOf() of 50 users and one offline",
      ).toEqual({
        [n1]: sorted(users.filter((_, i) => i % 2 === 0)),
        [n2]: sorted(users.filter((_, i) => i % 2 === 1)),
      });
      expect(await nodesOf(presence, []), "nodesOf([])").toEqual({});
    });

    it("a user with sessions on two nodes appears under both", async () => {
      const presence = await open();
      const [n1, n2, user] = [uid("node"), uid("node"), uid("user")];
      await presence.heartbeat(n1);
      await presence.heartbeat(n2);
      await presence.register(session(user, n1));
      await presence.register(session(user, n2));
      expect(await nodesOf(presence, [user]), "nodesOf() of a user on two nodes").toEqual({
        [n1]: [user],
        [n2]: [user],
      });
      expect(await presence.sessionsOf([user]), "sessionsOf() of a user on two nodes").toHaveLength(
        2,
      );
    });

    it("status says online while a session lives, then offline with a lastSeen", async () => {
      const presence = await open();
      const [node, user, stranger] = [uid("node"), uid("user"), uid("stranger")];
      await presence.heartbeat(node);
      const s1 = session(user, node);
      const s2 = session(user, node);
      await presence.register(s1);
      await presence.register(s2);
      const online = await presence.status([user, stranger]);
      expect(online.get(user)?.online, "status of a user with sessions").toBe(true);
      expect(online.get(stranger), "status of a user never seen").toMatchObject({ online: false });
      expect(online.get(stranger)?.lastSeen, "lastSeen of a user never seen").toBeUndefined();
      await presence.unregister(s1);
      expect(
        (await presence.status([user])).get(user)?.online,
        "status with one session left",
      ).toBe(true);
      const before = Date.now();
      await presence.unregister(s2);
      const offline = (await presence.status([user])).get(user);
      expect(offline?.online, "status after the last session left").toBe(false);
      expect(offline?.lastSeen, "lastSeen after the last session left").toBeTypeOf("number");
      // Generous bounds: the backend's clock may differ a little from ours.
      expect(offline!.lastSeen!, "lastSeen is about when the last session left").toBeGreaterThan(
        before - 60_000,
      );
      expect(offline!.lastSeen!, "lastSeen is not in the future").toBeLessThan(Date.now() + 60_000);
    });

    it("a node that stops heartbeating disappears with its sessions within the TTL; a live node stays", async () => {
      const presence = await open(SHORT_TTL_MS);
      const [dead, alive] = [uid("node"), uid("node")];
      const [u1, u2] = [uid("user"), uid("user")];
      await presence.heartbeat(alive);
      const keepAlive = setInterval(() => {
        presence.heartbeat(alive).catch(() => {});
      }, SHORT_TTL_MS / 10);
      try {
        await presence.heartbeat(dead);
        await presence.register(session(u1, dead));
        await presence.register(session(u2, alive));
        await presence.heartbeat(dead);
        expect(await nodesOf(presence, [u1, u2]), "nodesOf() while both nodes heartbeat").toEqual({
          [dead]: [u1],
          [alive]: [u2],
        });
        await eventually(
          async () =>
            expect(await presence.sessionsOf([u1]), "sessions of the node that stopped").toEqual(
              [],
            ),
          { timeoutMs: SHORT_TTL_MS * 10, intervalMs: 100, message: "the silent node to expire" },
        );
        expect(await nodesOf(presence, [u1, u2]), "nodesOf() once the silent node expired").toEqual(
          {
            [alive]: [u2],
          },
        );
        expect(
          (await presence.status([u1])).get(u1)?.online,
          "status of a user whose node expired",
        ).toBe(false);
        expect(await presence.sessionsOf([u2]), "the heartbeating node's sessions").toHaveLength(1);
      } finally {
        clearInterval(keepAlive);
      }
    });

    it("removeNode forgets the node and all its sessions at once", async () => {
      const presence = await open();
      const [n1, n2] = [uid("node"), uid("node")];
      const [u1, u2] = [uid("user"), uid("user")];
      await presence.heartbeat(n1);
      await presence.heartbeat(n2);
      await presence.register(session(u1, n1));
      await presence.register(session(u2, n1));
      const s3 = session(u2, n2);
      await presence.register(s3);
      await presence.removeNode(n1);
      expect(await presence.sessionsOf([u1, u2]), "sessions after removeNode").toEqual([s3]);
      expect(await nodesOf(presence, [u1, u2]), "nodesOf() after removeNode").toEqual({
        [n2]: [u2],
      });
      const status = await presence.status([u1, u2]);
      expect(status.get(u1)?.online, "a user only on the removed node").toBe(false);
      expect(status.get(u2)?.online, "a user also on another node").toBe(true);
    });

    it("a second instance sees the first one's sessions, and its unregister is seen by the first", async () => {
      const first = await open();
      const second = await open();
      const [node, user] = [uid("node"), uid("user")];
      await first.heartbeat(node);
      const s = session(user, node);
      await first.register(s);
      expect(await second.sessionsOf([user]), "the second instance's sessionsOf()").toEqual([s]);
      expect(await nodesOf(second, [user]), "the second instance's nodesOf()").toEqual({
        [node]: [user],
      });
      expect((await second.status([user])).get(user)?.online, "the second instance's status").toBe(
        true,
      );
      await second.unregister(s);
      expect(
        await first.sessionsOf([user]),
        "the first instance after the second unregistered",
      ).toEqual([]);
    });

    it("ping answers true; close is idempotent", async () => {
      const presence = await open();
      expect(await presence.ping(), "ping() of an open presence").toBe(true);
      await presence.close();
      await presence.close();
    });

    it("close twice at once is fine; calls after close reject with unavailable", async () => {
      const presence = await open();
      await Promise.all([presence.close(), presence.close()]);
      const [node, user] = [uid("node"), uid("user")];
      await expectUnavailableAfterClose({
        register: () => presence.register(session(user, node)),
        unregister: () => presence.unregister(session(user, node)),
        heartbeat: () => presence.heartbeat(node),
        removeNode: () => presence.removeNode(node),
        sessionsOf: () => presence.sessionsOf([user]),
        nodesOf: () => presence.nodesOf([user]),
        status: () => presence.status([user]),
      });
      expect(await presence.ping(), "ping() after close").toBe(false);
    });
  });
}
