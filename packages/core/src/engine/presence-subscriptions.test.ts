import { describe, expect, it } from "vitest";
import { PresenceSubscriptions } from "./presence-subscriptions.js";
import type { Session } from "./session.js";
import { emptyStats } from "./stats.js";

/** A ready session that records what it was sent. */
function fakeSession(sent: string[]): Session {
  return {
    state: "ready",
    send(data: string) {
      sent.push(data);
      return true;
    },
  } as unknown as Session;
}

describe("PresenceSubscriptions", () => {
  it("pushes a change to thousands of watchers in chunks, yielding the event loop between them", async () => {
    const subscriptions = new PresenceSubscriptions(emptyStats(), 500);
    const sent: string[] = [];
    for (let i = 0; i < 5_000; i++) subscriptions.subscribe(fakeSession(sent), ["star"]);
    const done = subscriptions.notify("star", true, undefined);
    expect(sent, "only the first chunk goes out synchronously").toHaveLength(500);
    await done;
    expect(sent).toHaveLength(5_000);
    expect(new Set(sent).size, "serialized once").toBe(1);
    expect(JSON.parse(sent[0]!)).toEqual({ type: "presence", userId: "star", online: true });
  });

  it("a new list replaces the old one; drop forgets the session", async () => {
    const subscriptions = new PresenceSubscriptions(emptyStats(), 10);
    const sent: string[] = [];
    const session = fakeSession(sent);
    subscriptions.subscribe(session, ["a", "b"]);
    subscriptions.subscribe(session, ["b"]);
    await subscriptions.notify("a", true, undefined);
    await subscriptions.notify("b", false, 42);
    expect(sent.map((d) => JSON.parse(d))).toEqual([
      { type: "presence", userId: "b", online: false, lastSeen: 42 },
    ]);
    subscriptions.drop(session);
    await subscriptions.notify("b", true, undefined);
    expect(sent).toHaveLength(1);
    expect(subscriptions.sessionCount).toBe(0);
  });
});
