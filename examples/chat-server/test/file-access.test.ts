import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatServer } from "../src/chat-server.js";
import { api, registerUser, startTestServer, type TestUser } from "./helpers.js";

/**
 * The example with `LUCKY_IM_FILE_ACCESS=members`: a file uploaded for a conversation is served
 * to its members (bearer token or signed URL) and 404 to anyone else; the page learns the mode
 * from `GET /page-settings`. Link mode (the default) keeps capability URLs.
 */

const conversationOf = (a: TestUser, b: TestUser) => `d:${[a.userId, b.userId].sort().join(":")}`;

describe("members-only files in the example", () => {
  let server: ChatServer;
  let stop: () => Promise<void>;
  let base: string;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  beforeAll(async () => {
    ({ server, stop } = await startTestServer({
      fileAccess: "members",
      fileUrlSecret: "an example test secret of 32+ characters",
      fileUrlTtlSeconds: 120,
    }));
    base = server.url;
    [alice, bob, carol] = await Promise.all([
      registerUser(base, "alice"),
      registerUser(base, "bob"),
      registerUser(base, "carol"),
    ]);
  });
  afterAll(() => stop());

  it("tells the page the mode", async () => {
    const settings = await api(base, "GET", "/page-settings");
    expect([settings.status, settings.body]).toEqual([200, { fileAccess: "members" }]);
  });

  it("serves a conversation's file to its members and a signed URL; 404 to a stranger", async () => {
    const conversationId = conversationOf(alice, bob);
    const stored = await api(
      base,
      "POST",
      `/files?name=plan.txt&conversationId=${encodeURIComponent(conversationId)}`,
      { token: alice.accessToken, raw: Buffer.from("meet at noon"), contentType: "text/plain" },
    );
    expect(stored.status).toBe(201);
    const url = `${base}${stored.body.url}`;
    const as = (user: TestUser) => ({ headers: { authorization: `Bearer ${user.accessToken}` } });

    const member = await fetch(url, as(bob));
    expect([member.status, await member.text()]).toEqual([200, "meet at noon"]);
    expect((await fetch(url, as(alice))).status).toBe(200);
    expect((await fetch(url, as(carol))).status).toBe(404);
    expect((await fetch(url)).status).toBe(404);

    const grant = await api(base, "GET", `${stored.body.url}/url`, { token: bob.accessToken });
    expect(grant.status).toBe(200);
    expect(grant.body.expiresAt).toBeGreaterThan(Date.now());
    // The TTL of LUCKY_IM_FILE_URL_TTL_SEC (120 s), not the default 300.
    expect(grant.body.expiresAt).toBeLessThanOrEqual(Date.now() + 120_000);
    const signed = await fetch(`${base}${grant.body.url}`);
    expect([signed.status, await signed.text()]).toEqual([200, "meet at noon"]);
    expect(
      (await api(base, "GET", `${stored.body.url}/url`, { token: carol.accessToken })).status,
    ).toBe(404);
  });

  it("keeps a file of no conversation (an avatar) a capability URL", async () => {
    const stored = await api(base, "POST", "/files?name=a.txt", {
      token: alice.accessToken,
      raw: Buffer.from("public"),
      contentType: "text/plain",
    });
    expect((await fetch(`${base}${stored.body.url}`)).status).toBe(200);
  });
});

describe("link mode (the default)", () => {
  let stop: () => Promise<void>;
  let base: string;
  beforeAll(async () => {
    const started = await startTestServer();
    stop = started.stop;
    base = started.server.url;
  });
  afterAll(() => stop());

  it("serves a conversation's file to anyone with its URL, and says so to the page", async () => {
    const [alice, bob] = await Promise.all([
      registerUser(base, "alice"),
      registerUser(base, "bob"),
    ]);
    const conversationId = conversationOf(alice, bob);
    const stored = await api(
      base,
      "POST",
      `/files?name=plan.txt&conversationId=${encodeURIComponent(conversationId)}`,
      { token: alice.accessToken, raw: Buffer.from("meet at noon"), contentType: "text/plain" },
    );
    expect(stored.status).toBe(201);
    expect((await fetch(`${base}${stored.body.url}`)).status).toBe(200);
    expect((await api(base, "GET", "/page-settings")).body).toEqual({ fileAccess: "link" });
  });
});

describe("members mode without a secret", () => {
  it("refuses to start, naming the secret", async () => {
    await expect(startTestServer({ fileAccess: "members" })).rejects.toThrow(/secret/);
  });
});
