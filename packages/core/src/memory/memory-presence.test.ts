import { describe, expect, it } from "vitest";
import type { SessionInfo } from "../domain/session.js";
import { createMemoryPresence, createMemoryPresenceHub } from "./memory-presence.js";

const session = (
  sessionId: string,
  userId: string,
  nodeId: string,
  connectedAt = 0,
): SessionInfo => ({
  sessionId,
  userId,
  nodeId,
  connectedAt,
});

describe("memory presence", () => {
  it("expires a silent node after nodeTtlMs and keeps its users' lastSeen (fake clock)", async () => {
    let now = 1_000_000;
    const presence = createMemoryPresence({ nodeTtlMs: 100, now: () => now });
    await presence.heartbeat("n1");
    await presence.register(session("s1", "u1", "n1", now));
    now += 60;
    await presence.heartbeat("n1");
    now += 99;
    expect(await presence.sessionsOf(["u1"]), "within the TTL of the last heartbeat").toHaveLength(
      1,
    );
    now += 1;
    expect(await presence.sessionsOf(["u1"]), "once the TTL lapsed").toEqual([]);
    expect((await presence.status(["u1"])).get("u1")).toEqual({
      online: false,
      lastSeen: 1_000_060,
    });
  });

  it("register counts as a heartbeat of its node", async () => {
    let now = 0;
    const presence = createMemoryPresence({ nodeTtlMs: 100, now: () => now });
    await presence.register(session("s1", "u1", "n1"));
    expect(await presence.nodesOf(["u1"])).toEqual(new Map([["n1", ["u1"]]]));
    now = 100;
    expect(await presence.nodesOf(["u1"])).toEqual(new Map());
  });

  it("re-registering a session id moves it; a node restarting keeps no stale session", async () => {
    const presence = createMemoryPresence();
    await presence.register(session("s1", "u1", "n1"));
    await presence.register(session("s1", "u1", "n2"));
    expect(await presence.nodesOf(["u1"])).toEqual(new Map([["n2", ["u1"]]]));
    await presence.removeNode("n1");
    expect(await presence.sessionsOf(["u1"])).toHaveLength(1);
  });

  it("instances on one hub share the cluster; without a hub they do not", async () => {
    const hub = createMemoryPresenceHub();
    const a = createMemoryPresence({ hub });
    const b = createMemoryPresence({ hub });
    const alone = createMemoryPresence();
    await a.register(session("s1", "u1", "n1"));
    expect(await b.sessionsOf(["u1"])).toHaveLength(1);
    expect(await alone.sessionsOf(["u1"])).toEqual([]);
    await a.close();
    expect(await b.sessionsOf(["u1"]), "closing one instance leaves the hub alone").toHaveLength(1);
    await expect(a.sessionsOf(["u1"])).rejects.toMatchObject({ code: "unavailable" });
  });
});
