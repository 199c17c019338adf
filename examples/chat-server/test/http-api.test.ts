import { CompactEncrypt, importJWK, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatServer } from "../src/chat-server.js";
import { api, METRICS_TOKEN, registerUser, startTestServer, type TestUser } from "./helpers.js";

/** The HTTP API of PROTOCOL.md against an in-process server on the embedded default. */

let server: ChatServer;
let stop: () => Promise<void>;
let base: string;
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

beforeAll(async () => {
  ({ server, stop } = await startTestServer({
    maxFileBytes: 64 * 1024,
    metricsToken: METRICS_TOKEN,
  }));
  base = server.url;
});

afterAll(async () => {
  await stop();
});

const expectError = (answer: { status: number; body: unknown }, status: number, code: string) => {
  expect(answer.status).toBe(status);
  expect(answer.body).toEqual({ error: { code, message: expect.any(String) } });
  expect((answer.body as { error: { message: string } }).error.message.length).toBeGreaterThan(0);
};

describe("operations", () => {
  it("/healthz answers 200", async () => {
    const answer = await api(base, "GET", "/healthz");
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: "ok", nodeId: server.im.nodeId });
  });

  it("/readyz answers 200 when every dependency answers", async () => {
    const answer = await api(base, "GET", "/readyz");
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      status: "ready",
      storage: true,
      broker: true,
      presence: true,
    });
  });

  it("/metrics speaks Prometheus and names the server's metrics", async () => {
    const answer = await api<string>(base, "GET", "/metrics", { token: METRICS_TOKEN });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^text\/plain/);
    for (const name of [
      "lucky_im_connections",
      "lucky_im_frames_in_total",
      "lucky_im_frames_out_total",
      "lucky_im_messages_sent_total",
      "lucky_im_messages_delivered_total",
      "lucky_im_push_retries_total",
      "lucky_im_outbox_backlog",
      "lucky_im_outbox_oldest_age_seconds",
      "lucky_im_send_to_sent_seconds_bucket",
      "lucky_im_send_to_delivered_seconds_bucket",
      "nodejs_eventloop_lag_seconds",
    ]) {
      expect(answer.body).toMatch(new RegExp(`^${name}`, "m"));
    }
  });

  it("an unknown route answers 404 in the error shape", async () => {
    expectError(await api(base, "GET", "/no/such/route"), 404, "not_found");
    expectError(await api(base, "POST", "/nope", { body: {} }), 404, "not_found");
  });

  it("serves the page at / and nothing outside public/", async () => {
    const page = await api<string>(base, "GET", "/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.body).toContain("Lucky IM");
    expectError(await api(base, "GET", "/..%2fpackage.json"), 404, "not_found");
    expectError(await api(base, "GET", "/%2e%2e/package.json"), 404, "not_found");
  });

  it("answers no CORS preflight while no origin is configured (see http-hardening.test.ts)", async () => {
    const response = await fetch(`${base}/auth/login`, {
      method: "OPTIONS",
      headers: { origin: "https://chat.example", "access-control-request-method": "POST" },
    });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("auth", () => {
  it("registers (201), refuses a taken name (409) and bad bodies (400)", async () => {
    const username = `reg_${Date.now().toString(36)}`;
    const created = await api(base, "POST", "/auth/register", {
      body: { username, password: "long enough password" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ userId: expect.stringMatching(/^\S+$/) });
    expectError(
      await api(base, "POST", "/auth/register", {
        body: { username, password: "another password" },
      }),
      409,
      "conflict",
    );
    expectError(
      await api(base, "POST", "/auth/register", { body: { username: "x" } }),
      400,
      "bad_request",
    );
    expectError(
      await api(base, "POST", "/auth/register", {
        body: { username: 42, password: "long enough" },
      }),
      400,
      "bad_request",
    );
    expectError(
      await api(base, "POST", "/auth/register", {
        body: { username: "shortpw", password: "short" },
      }),
      400,
      "bad_request",
    );
    expectError(
      await api(base, "POST", "/auth/register", {
        raw: Buffer.from("{not json"),
        contentType: "application/json",
      }),
      400,
      "bad_request",
    );
  });

  it("refuses lookalike usernames and common or name-based passwords (400), and normalizes names", async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const register = (username: string, password: string) =>
      api(base, "POST", "/auth/register", { body: { username, password } });
    for (const username of [
      `\u0430lice${suffix}`,
      `\u202Eecila${suffix}`,
      `ali\u200Bce${suffix}`,
    ]) {
      const answer = await register(username, "correct horse battery");
      expectError(answer, 400, "bad_request");
      expect(answer.body.error.message).toMatch(/username/);
    }
    const common = await register(`erin${suffix}`, "password123");
    expectError(common, 400, "bad_request");
    expect(common.body.error.message).toContain("common");
    const named = await register(`erin${suffix}`, `erin${suffix}-2030`);
    expectError(named, 400, "bad_request");
    expect(named.body.error.message).toContain("username");

    // Full-width letters are the same name: registered as, and logged in by, the plain one.
    const wide = [...`fay${suffix}`]
      .map((c) => (/[a-z0-9]/.test(c) ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c))
      .join("");
    expect((await register(wide, "correct horse battery")).status).toBe(201);
    expectError(await register(`fay${suffix}`, "correct horse battery"), 409, "conflict");
    const login = await api(base, "POST", "/auth/login", {
      body: { username: `fay${suffix}`, password: "correct horse battery" },
    });
    expect(login.status).toBe(200);
    const me = await api(base, "GET", "/users/me", { token: login.body.accessToken });
    expect(me.body.username).toBe(`fay${suffix}`);
  });

  it("refuses a JSON body over the limit with 413", async () => {
    const answer = await api(base, "POST", "/auth/register", {
      body: { username: "big", password: "x".repeat(100 * 1024) },
    });
    expectError(answer, 413, "too_large");
  });

  it("logs in with exactly the protocol's fields; a wrong password is 401", async () => {
    const user = await registerUser(base, "login");
    const answer = await api(base, "POST", "/auth/login", {
      body: { username: user.username, password: user.password },
    });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body).sort()).toEqual([
      "accessToken",
      "expiresIn",
      "refreshToken",
      "userId",
    ]);
    expect(answer.body.userId).toBe(user.userId);
    expect(answer.body.expiresIn).toBeGreaterThan(0);
    expectError(
      await api(base, "POST", "/auth/login", {
        body: { username: user.username, password: "wrong password" },
      }),
      401,
      "unauthorized",
    );
    expectError(
      await api(base, "POST", "/auth/login", {
        body: { username: "nobody_here", password: "whatever1" },
      }),
      401,
      "unauthorized",
    );
  });

  it("backs off wrong passwords per (username, address) with 429 and Retry-After", async () => {
    const user = await registerUser(base, "limited");
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const answer = await api(base, "POST", "/auth/login", {
        body: { username: user.username, password: "not the password" },
      });
      statuses.push(answer.status);
      if (answer.status === 429) {
        expectError(answer, 429, "rate_limited");
        expect(Number(answer.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      }
    }
    // Five free failures (the default), then a wait.
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
  });

  it("publishes an RSA-OAEP-256 key and accepts a passwordJwe login", async () => {
    const user = await registerUser(base, "jwe");
    const keyAnswer = await api<JWK>(base, "GET", "/auth/public-key");
    expect(keyAnswer.status).toBe(200);
    const jwk = keyAnswer.body;
    expect(jwk).toMatchObject({
      kty: "RSA",
      alg: "RSA-OAEP-256",
      use: "enc",
      kid: expect.any(String),
    });
    expect(jwk).not.toHaveProperty("d");
    const key = await importJWK(jwk, "RSA-OAEP-256");
    const encrypt = (password: string, enc = "A256GCM") =>
      new CompactEncrypt(new TextEncoder().encode(password))
        .setProtectedHeader({ alg: "RSA-OAEP-256", enc, kid: jwk.kid! })
        .encrypt(key);

    const ok = await api(base, "POST", "/auth/login", {
      body: { username: user.username, passwordJwe: await encrypt(user.password) },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.userId).toBe(user.userId);
    const ok128 = await api(base, "POST", "/auth/login", {
      body: { username: user.username, passwordJwe: await encrypt(user.password, "A128GCM") },
    });
    expect(ok128.status).toBe(200);
    expectError(
      await api(base, "POST", "/auth/login", {
        body: { username: user.username, passwordJwe: await encrypt("wrong password") },
      }),
      401,
      "unauthorized",
    );
    expectError(
      await api(base, "POST", "/auth/login", {
        body: { username: user.username, passwordJwe: "not.a.jwe" },
      }),
      400,
      "bad_request",
    );
  });

  it("rotates refresh tokens and refuses a reused one (401), revoking its family", async () => {
    const user = await registerUser(base, "refresh");
    const first = await api(base, "POST", "/auth/refresh", {
      body: { refreshToken: user.refreshToken },
    });
    expect(first.status).toBe(200);
    expect(Object.keys(first.body).sort()).toEqual(["accessToken", "expiresIn", "refreshToken"]);
    expect(first.body.refreshToken).not.toBe(user.refreshToken);
    const me = await api(base, "GET", "/users/me", { token: first.body.accessToken });
    expect(me.body).toEqual({ userId: user.userId, username: user.username });

    // Within the reuse interval (10 s by default), the same token again is a retry: same successor.
    const retry = await api(base, "POST", "/auth/refresh", {
      body: { refreshToken: user.refreshToken },
    });
    expect(retry.status).toBe(200);
    expect(retry.body.refreshToken).toBe(first.body.refreshToken);

    // Without an interval, the same token again is a reuse.
    const strict = await startTestServer({ refreshReuseIntervalMs: 0 });
    try {
      const other = await registerUser(strict.server.url, "reuse");
      const next = await api(strict.server.url, "POST", "/auth/refresh", {
        body: { refreshToken: other.refreshToken },
      });
      expect(next.status).toBe(200);
      expectError(
        await api(strict.server.url, "POST", "/auth/refresh", {
          body: { refreshToken: other.refreshToken },
        }),
        401,
        "unauthorized",
      );
      // The reuse revoked the family: the newer token is refused as well.
      expectError(
        await api(strict.server.url, "POST", "/auth/refresh", {
          body: { refreshToken: next.body.refreshToken },
        }),
        401,
        "unauthorized",
      );
    } finally {
      await strict.stop();
    }
    expectError(await api(base, "POST", "/auth/refresh", { body: {} }), 400, "bad_request");
    expectError(
      await api(base, "POST", "/auth/refresh", { body: { refreshToken: "never-issued" } }),
      401,
      "unauthorized",
    );
  });

  it("answers five concurrent refreshes of one token with the same working successor", async () => {
    const user = await registerUser(base, "race");
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        api(base, "POST", "/auth/refresh", { body: { refreshToken: user.refreshToken } }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.body.refreshToken)).size).toBe(1);
    const next = await api(base, "POST", "/auth/refresh", {
      body: { refreshToken: answers[0]!.body.refreshToken },
    });
    expect(next.status).toBe(200);
    expect((await api(base, "GET", "/users/me", { token: next.body.accessToken })).status).toBe(
      200,
    );
  });

  it("logs one device out: its refresh token is refused, other devices go on", async () => {
    const phone = await registerUser(base, "logout");
    const laptop = await api(base, "POST", "/auth/login", {
      body: { username: phone.username, password: phone.password },
    });
    const out = await api(base, "POST", "/auth/logout", {
      token: phone.accessToken,
      body: { refreshToken: phone.refreshToken },
    });
    expect(out.status).toBe(204);
    expectError(
      await api(base, "POST", "/auth/refresh", { body: { refreshToken: phone.refreshToken } }),
      401,
      "unauthorized",
    );
    const renewed = await api(base, "POST", "/auth/refresh", {
      body: { refreshToken: laptop.body.refreshToken },
    });
    expect(renewed.status).toBe(200);
    // Without a bearer token (an expired access token must not prevent a logout): still 204.
    const noBearer = await api(base, "POST", "/auth/logout", {
      body: { refreshToken: renewed.body.refreshToken },
    });
    expect(noBearer.status).toBe(204);
    expectError(
      await api(base, "POST", "/auth/refresh", {
        body: { refreshToken: renewed.body.refreshToken },
      }),
      401,
      "unauthorized",
    );
  });

  it("refuses bad logout input and leaves other users' tokens alone", async () => {
    const alice = await registerUser(base, "alice");
    const mallory = await registerUser(base, "mallory");
    expectError(await api(base, "POST", "/auth/logout", { body: {} }), 400, "bad_request");
    expectError(
      await api(base, "POST", "/auth/logout", { body: { refreshToken: 42 } }),
      400,
      "bad_request",
    );
    expect(
      (await api(base, "POST", "/auth/logout", { body: { refreshToken: "never-issued" } })).status,
    ).toBe(204);
    // Mallory, logged in, names Alice's refresh token: nothing of Alice's is revoked.
    const attempt = await api(base, "POST", "/auth/logout", {
      token: mallory.accessToken,
      body: { refreshToken: alice.refreshToken },
    });
    expect(attempt.status).toBe(204);
    expect((await api(base, "GET", "/users/me", { token: alice.accessToken })).status).toBe(200);
    const still = await api(base, "POST", "/auth/refresh", {
      body: { refreshToken: alice.refreshToken },
    });
    expect(still.status).toBe(200);
    expectError(await api(base, "POST", "/auth/logout-all"), 401, "unauthorized");
    expectError(
      await api(base, "POST", "/auth/logout-all", { token: "not-a-jwt" }),
      401,
      "unauthorized",
    );
  });

  it("logs a user out everywhere: every device's tokens are refused", async () => {
    const phone = await registerUser(base, "everywhere");
    const laptop = await api(base, "POST", "/auth/login", {
      body: { username: phone.username, password: phone.password },
    });
    const other = await registerUser(base, "bystander");
    expect((await api(base, "POST", "/auth/logout-all", { token: phone.accessToken })).status).toBe(
      204,
    );
    for (const refreshToken of [phone.refreshToken, laptop.body.refreshToken]) {
      expectError(
        await api(base, "POST", "/auth/refresh", { body: { refreshToken } }),
        401,
        "unauthorized",
      );
    }
    expectError(
      await api(base, "GET", "/users/me", { token: laptop.body.accessToken }),
      401,
      "unauthorized",
    );
    // Other users are untouched.
    expect((await api(base, "GET", "/users/me", { token: other.accessToken })).status).toBe(200);
  });

  it("changes the password: others are logged out, the old password stops working", async () => {
    const phone = await registerUser(base, "passwd");
    const laptop = await api(base, "POST", "/auth/login", {
      body: { username: phone.username, password: phone.password },
    });
    const newPassword = "a brand new passphrase";
    expectError(
      await api(base, "POST", "/auth/password", {
        body: { currentPassword: phone.password, newPassword },
      }),
      401,
      "unauthorized",
    );
    expectError(
      await api(base, "POST", "/auth/password", {
        token: phone.accessToken,
        body: { currentPassword: "wrong password", newPassword },
      }),
      403,
      "forbidden",
    );
    expectError(
      await api(base, "POST", "/auth/password", {
        token: phone.accessToken,
        body: { currentPassword: phone.password },
      }),
      400,
      "bad_request",
    );
    const changed = await api(base, "POST", "/auth/password", {
      token: phone.accessToken,
      body: { currentPassword: phone.password, newPassword },
    });
    expect(changed.status).toBe(200);
    expect(Object.keys(changed.body).sort()).toEqual(["accessToken", "expiresIn", "refreshToken"]);
    // This device goes on with the new tokens...
    expect((await api(base, "GET", "/users/me", { token: changed.body.accessToken })).status).toBe(
      200,
    );
    expect(
      (
        await api(base, "POST", "/auth/refresh", {
          body: { refreshToken: changed.body.refreshToken },
        })
      ).status,
    ).toBe(200);
    // ...the laptop and the old tokens are out, and only the new password logs in.
    for (const refreshToken of [phone.refreshToken, laptop.body.refreshToken]) {
      expectError(
        await api(base, "POST", "/auth/refresh", { body: { refreshToken } }),
        401,
        "unauthorized",
      );
    }
    expectError(
      await api(base, "POST", "/auth/login", {
        body: { username: phone.username, password: phone.password },
      }),
      401,
      "unauthorized",
    );
    const fresh = await api(base, "POST", "/auth/login", {
      body: { username: phone.username, password: newPassword },
    });
    expect(fresh.status).toBe(200);
  });

  it("GET /users/me needs a valid Bearer token", async () => {
    const user = await registerUser(base, "me");
    const me = await api(base, "GET", "/users/me", { token: user.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ userId: user.userId, username: user.username });
    const missing = await api(base, "GET", "/users/me");
    expectError(missing, 401, "unauthorized");
    expect(missing.headers.get("www-authenticate")).toBe("Bearer");
    expectError(await api(base, "GET", "/users/me", { token: "not-a-jwt" }), 401, "unauthorized");
    const [header, payload] = user.accessToken.split(".");
    expectError(
      await api(base, "GET", "/users/me", { token: `${header}.${payload}.forged` }),
      401,
      "unauthorized",
    );
  });
});

describe("user lookup (additions for the web page)", () => {
  let base: string;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    const started = await startTestServer();
    base = started.server.url;
    stop = started.stop;
  });
  afterAll(() => stop());

  it("GET /users/by-name/:username and GET /users/:userId find a user; unknown is 404; no token is 401", async () => {
    const carol = await registerUser(base, "carol");
    const dave = await registerUser(base, "dave");
    const byName = await api(base, "GET", `/users/by-name/${carol.username}`, {
      token: dave.accessToken,
    });
    expect(byName.status).toBe(200);
    expect(byName.body).toEqual({ userId: carol.userId, username: carol.username });
    const byId = await api(base, "GET", `/users/${carol.userId}`, { token: dave.accessToken });
    expect(byId.body).toEqual({ userId: carol.userId, username: carol.username });
    expectError(
      await api(base, "GET", "/users/by-name/nobody-here", { token: dave.accessToken }),
      404,
      "not_found",
    );
    expectError(await api(base, "GET", `/users/${carol.userId}`), 401, "unauthorized");
  });

  it("limits GET /users/by-name lookups per user (429 with Retry-After): no enumeration", async () => {
    const { server, stop: stopLimited } = await startTestServer({ lookupLimit: 5 });
    try {
      const erin = await registerUser(server.url, "erin");
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const answer = await api(server.url, "GET", `/users/by-name/guess${i}`, {
          token: erin.accessToken,
        });
        statuses.push(answer.status);
        if (answer.status === 429) {
          expectError(answer, 429, "rate_limited");
          expect(Number(answer.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
        }
      }
      expect(statuses).toEqual([404, 404, 404, 404, 404, 429, 429, 429]);
    } finally {
      await stopLimited();
    }
  });
});

describe("groups", () => {
  let owner: TestUser;
  let member: TestUser;
  let outsider: TestUser;
  let groupId: string;

  beforeAll(async () => {
    [owner, member, outsider] = await Promise.all([
      registerUser(base, "owner"),
      registerUser(base, "member"),
      registerUser(base, "outsider"),
    ]);
  });

  it("creates a group (201) with the creator as owner", async () => {
    const created = await api(base, "POST", "/groups", {
      token: owner.accessToken,
      body: { name: "Team", members: [member.userId] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ groupId: expect.any(String) });
    groupId = created.body.groupId;
    const group = await api(base, "GET", `/groups/${groupId}`, { token: member.accessToken });
    expect(group.status).toBe(200);
    expect(group.body).toEqual({
      groupId,
      name: "Team",
      ownerId: owner.userId,
      mutedAll: false,
      postPolicy: "everyone",
      description: "",
      avatar: null,
      announcement: null,
      members: expect.arrayContaining([
        { userId: owner.userId, role: "owner" },
        { userId: member.userId, role: "member" },
      ]),
    });
    expect(group.body.members).toHaveLength(2);
  });

  it("refuses bad group bodies (400), unknown users (400) and anonymous callers (401)", async () => {
    expectError(
      await api(base, "POST", "/groups", {
        token: owner.accessToken,
        body: { name: "x", members: "nope" },
      }),
      400,
      "bad_request",
    );
    expectError(
      await api(base, "POST", "/groups", {
        token: owner.accessToken,
        body: { name: "", members: [] },
      }),
      400,
      "bad_request",
    );
    expectError(
      await api(base, "POST", "/groups", {
        token: owner.accessToken,
        body: { name: "Ghosts", members: ["u_does_not_exist"] },
      }),
      400,
      "bad_request",
    );
    expectError(
      await api(base, "POST", "/groups", { body: { name: "x", members: [] } }),
      401,
      "unauthorized",
    );
  });

  it("answers 403 to a non-member and 404 for an unknown group", async () => {
    expectError(
      await api(base, "GET", `/groups/${groupId}`, { token: outsider.accessToken }),
      403,
      "forbidden",
    );
    expectError(
      await api(base, "GET", "/groups/nosuchgroup", { token: outsider.accessToken }),
      404,
      "not_found",
    );
    expectError(
      await api(base, "GET", `/groups/${groupId}/avatar`, { token: outsider.accessToken }),
      403,
      "forbidden",
    );
  });

  it("draws a nine-grid avatar of the members' initials", async () => {
    const answer = await api<string>(base, "GET", `/groups/${groupId}/avatar`, {
      token: member.accessToken,
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
    expect(answer.body).toMatch(/^<svg /);
    expect(answer.body).toContain(`>${owner.username[0]!.toUpperCase()}</text>`);
    expect(answer.body.match(/<text /g)).toHaveLength(2);
  });

  it("adds members (owner or admin only: 403 otherwise) and removes them (204, 404 when absent)", async () => {
    expectError(
      await api(base, "POST", `/groups/${groupId}/members`, {
        token: member.accessToken,
        body: { userIds: [outsider.userId] },
      }),
      403,
      "forbidden",
    );
    const added = await api(base, "POST", `/groups/${groupId}/members`, {
      token: owner.accessToken,
      body: { userIds: [outsider.userId] },
    });
    expect(added.status).toBe(204);
    expect(added.raw.length).toBe(0);
    const group = await api(base, "GET", `/groups/${groupId}`, { token: outsider.accessToken });
    expect(group.body.members).toContainEqual({ userId: outsider.userId, role: "member" });

    expectError(
      await api(base, "DELETE", `/groups/${groupId}/members/${owner.userId}`, {
        token: member.accessToken,
      }),
      403,
      "forbidden",
    );
    const removed = await api(base, "DELETE", `/groups/${groupId}/members/${outsider.userId}`, {
      token: owner.accessToken,
    });
    expect(removed.status).toBe(204);
    expectError(
      await api(base, "DELETE", `/groups/${groupId}/members/${outsider.userId}`, {
        token: owner.accessToken,
      }),
      404,
      "not_found",
    );
    expectError(
      await api(base, "GET", `/groups/${groupId}`, { token: outsider.accessToken }),
      403,
      "forbidden",
    );
  });

  it("lets a member leave (204); the owner cannot leave (409)", async () => {
    expectError(
      await api(base, "POST", `/groups/${groupId}/leave`, { token: owner.accessToken }),
      409,
      "conflict",
    );
    expectError(
      await api(base, "POST", `/groups/${groupId}/leave`, { token: outsider.accessToken }),
      403,
      "forbidden",
    );
    const left = await api(base, "POST", `/groups/${groupId}/leave`, { token: member.accessToken });
    expect(left.status).toBe(204);
    expectError(
      await api(base, "GET", `/groups/${groupId}`, { token: member.accessToken }),
      403,
      "forbidden",
    );
  });

  it("dismisses a group: owner only (403 otherwise), then it is gone (404)", async () => {
    const created = await api(base, "POST", "/groups", {
      token: owner.accessToken,
      body: { name: "Short-lived", members: [member.userId] },
    });
    const id = created.body.groupId as string;
    expectError(
      await api(base, "DELETE", `/groups/${id}`, { token: member.accessToken }),
      403,
      "forbidden",
    );
    const dismissed = await api(base, "DELETE", `/groups/${id}`, { token: owner.accessToken });
    expect(dismissed.status).toBe(204);
    expectError(
      await api(base, "GET", `/groups/${id}`, { token: owner.accessToken }),
      404,
      "not_found",
    );
  });
});

describe("conversations", () => {
  it("lists none for a new user, opens an own direct conversation before its first message, refuses a foreign or malformed one", async () => {
    const [a, b, c] = await Promise.all([
      registerUser(base, "ca"),
      registerUser(base, "cb"),
      registerUser(base, "cc"),
    ]);
    const list = await api(base, "GET", "/conversations", { token: a.accessToken });
    expect(list.status).toBe(200);
    expect(list.body).toEqual([]);
    const own = [a.userId, b.userId].sort();
    const empty = await api(base, "GET", `/conversations/d:${own[0]}:${own[1]}/messages`, {
      token: a.accessToken,
    });
    expect(empty.status, "a new direct conversation is empty, not forbidden").toBe(200);
    expect(empty.body).toEqual({ messages: [], more: false, reactions: [] });
    const ids = [b.userId, c.userId].sort();
    expectError(
      await api(base, "GET", `/conversations/d:${ids[0]}:${ids[1]}/messages`, {
        token: a.accessToken,
      }),
      403,
      "forbidden",
    );
    expectError(
      await api(base, "GET", "/conversations/not-an-id/messages", { token: a.accessToken }),
      400,
      "bad_request",
    );
    expectError(
      await api(base, "GET", `/conversations/d:${ids[0]}:${ids[1]}/messages?limit=abc`, {
        token: a.accessToken,
      }),
      400,
      "bad_request",
    );
    expectError(await api(base, "GET", "/conversations"), 401, "unauthorized");
  });
});

describe("files", () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await registerUser(base, "files");
  });

  it("stores an upload (201) and serves it without a token, inline for images", async () => {
    const stored = await api(base, "POST", "/files?name=dot.png", {
      token: user.accessToken,
      raw: PNG,
      contentType: "image/png",
    });
    expect(stored.status).toBe(201);
    expect(stored.body).toEqual({
      fileId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      url: `/files/${stored.body.fileId}`,
      // Re-encoded without metadata: the size is the new file's.
      size: expect.any(Number),
      mime: "image/png",
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      width: 1,
      height: 1,
      thumbnailUrl: expect.stringMatching(/^\/files\/[A-Za-z0-9_-]{22}$/),
    });
    const served = await api(base, "GET", stored.body.url);
    expect(served.status).toBe(200);
    // Re-encoded without metadata: still a PNG of the same size in pixels.
    expect(served.raw.subarray(0, 8).equals(PNG.subarray(0, 8))).toBe(true);
    expect(served.headers.get("content-type")).toBe("image/png");
    expect(served.headers.get("content-disposition")).toMatch(/^inline; filename="dot.png"/);
    expect(served.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("serves other types as attachments and never uses the given name as a path", async () => {
    const stored = await api(
      base,
      "POST",
      `/files?name=${encodeURIComponent("../../etc/passwd")}`,
      {
        token: user.accessToken,
        raw: Buffer.from("hello"),
        contentType: "text/plain; charset=utf-8",
      },
    );
    expect(stored.status).toBe(201);
    expect(stored.body.mime).toBe("text/plain");
    const served = await api(base, "GET", stored.body.url);
    expect(served.body).toBe("hello");
    const disposition = served.headers.get("content-disposition")!;
    expect(disposition).toMatch(/^attachment; filename="/);
    expect(disposition).not.toContain("/");
  });

  it("refuses a type off the allow-list, an empty body, a too large one and anonymous uploads", async () => {
    const svg = await api(base, "POST", "/files", {
      token: user.accessToken,
      raw: Buffer.from("<svg/>"),
      contentType: "image/svg+xml",
    });
    expect(svg.status).toBe(415);
    expect(svg.body).toEqual({ error: { code: "bad_request", message: expect.any(String) } });
    expectError(
      await api(base, "POST", "/files", {
        token: user.accessToken,
        raw: Buffer.alloc(0),
        contentType: "image/png",
      }),
      400,
      "bad_request",
    );
    expectError(
      await api(base, "POST", "/files", {
        token: user.accessToken,
        raw: Buffer.alloc(65 * 1024),
        contentType: "application/octet-stream",
      }),
      413,
      "too_large",
    );
    expectError(
      await api(base, "POST", "/files", { raw: PNG, contentType: "image/png" }),
      401,
      "unauthorized",
    );
  });

  it("answers 404 for an unknown or malformed file id", async () => {
    expectError(await api(base, "GET", "/files/AAAAAAAAAAAAAAAAAAAAAA"), 404, "not_found");
    expectError(await api(base, "GET", "/files/..%2f..%2fpackage.json"), 404, "not_found");
  });
});
