import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ChatServer } from "../src/chat-server.js";
import {
  api,
  type Frame,
  registerUser,
  startTestServer,
  type TestUser,
  WsProbe,
} from "./helpers.js";

/**
 * `/contacts`, `/contacts/requests`, `/blocks` and `/me/privacy`: every change reaches both
 * users as a `contact` frame, every refusal is the documented status and error JSON, and a
 * block is enforced on the WebSocket without being revealed.
 */

let server: ChatServer;
let stop: () => Promise<void>;
let base: string;
const REQUEST_LIMIT = 4;

beforeAll(async () => {
  ({ server, stop } = await startTestServer({ contactRequestLimit: REQUEST_LIMIT }));
  base = server.url;
});

afterAll(async () => {
  await stop();
});

const probes: WsProbe[] = [];
afterEach(() => {
  for (const probe of probes.splice(0)) probe.close();
});
const connect = async (user: TestUser) => {
  const probe = await WsProbe.connect(base, user.accessToken);
  probes.push(probe);
  return probe;
};

const expectError = (answer: { status: number; body: unknown }, status: number, code: string) => {
  expect(answer.status).toBe(status);
  expect(answer.body).toEqual({ error: { code, message: expect.any(String) } });
};

const contactFrame = (event: string) => (f: Frame) => f.type === "contact" && f.event === event;

let cids = 0;
async function sendText(probe: WsProbe, to: string): Promise<Frame> {
  const cid = `c${++cids}`;
  probe.send({
    type: "send",
    cid,
    to: { type: "user", id: to },
    body: { type: "text", text: "hi" },
  });
  return probe.next((f) => (f.type === "sent" || f.type === "error") && f.cid === cid);
}

describe("contact routes", () => {
  it("request, accept, list, remark, remove: each change is a contact frame to both", async () => {
    const [ann, bob] = await Promise.all([registerUser(base, "ann"), registerUser(base, "bob")]);
    const bobWs = await connect(bob);
    const annWs = await connect(ann);
    const sent = await api(base, "POST", "/contacts/requests", {
      token: ann.accessToken,
      body: { userId: bob.userId, message: "hi, Ann here" },
    });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({
      outcome: "requested",
      request: { fromId: ann.userId, toId: bob.userId, message: "hi, Ann here", state: "pending" },
    });
    expect(await bobWs.next(contactFrame("requested"))).toMatchObject({
      by: ann.userId,
      userId: bob.userId,
      message: "hi, Ann here",
    });
    const incoming = await api(base, "GET", "/contacts/requests?direction=incoming", {
      token: bob.accessToken,
    });
    expect(incoming.body).toMatchObject({
      requests: [{ fromId: ann.userId, username: ann.username }],
      nextCursor: null,
    });
    const outgoing = await api(base, "GET", "/contacts/requests?direction=outgoing", {
      token: ann.accessToken,
    });
    expect(outgoing.body.requests).toHaveLength(1);

    const accepted = await api(base, "POST", `/contacts/requests/${ann.userId}/accept`, {
      token: bob.accessToken,
    });
    expect(accepted.status).toBe(200);
    await annWs.next(contactFrame("accepted"));
    const contacts = await api(base, "GET", "/contacts", { token: ann.accessToken });
    expect(contacts.body).toEqual({
      contacts: [
        { userId: bob.userId, username: bob.username, remark: null, since: expect.any(Number) },
      ],
      nextCursor: null,
    });
    const remark = await api(base, "PUT", `/contacts/${bob.userId}/remark`, {
      token: ann.accessToken,
      body: { remark: "Bobby" },
    });
    expect(remark.status).toBe(204);
    expect(
      (await api(base, "GET", "/contacts", { token: ann.accessToken })).body.contacts[0].remark,
    ).toBe("Bobby");
    expectError(
      await api(base, "PUT", `/contacts/${bob.userId}/remark`, {
        token: ann.accessToken,
        body: { remark: "r".repeat(65) },
      }),
      400,
      "bad_request",
    );
    expect(
      (await api(base, "DELETE", `/contacts/${ann.userId}`, { token: bob.accessToken })).status,
    ).toBe(204);
    await annWs.next(contactFrame("removed"));
    expectError(
      await api(base, "DELETE", `/contacts/${ann.userId}`, { token: bob.accessToken }),
      404,
      "not_found",
    );
  });

  it("decline and cancel; wrong ids answer 404", async () => {
    const [ann, bob] = await Promise.all([registerUser(base, "ann"), registerUser(base, "bob")]);
    await api(base, "POST", "/contacts/requests", {
      token: ann.accessToken,
      body: { userId: bob.userId },
    });
    const declined = await api(base, "POST", `/contacts/requests/${ann.userId}/decline`, {
      token: bob.accessToken,
    });
    expect(declined.body.request.state).toBe("declined");
    expectError(
      await api(base, "POST", `/contacts/requests/${ann.userId}/accept`, {
        token: bob.accessToken,
      }),
      404,
      "not_found",
    );
    await api(base, "POST", "/contacts/requests", {
      token: ann.accessToken,
      body: { userId: bob.userId },
    });
    expect(
      (await api(base, "DELETE", `/contacts/requests/${bob.userId}`, { token: ann.accessToken }))
        .status,
    ).toBe(204);
    expectError(
      await api(base, "DELETE", `/contacts/requests/${bob.userId}`, { token: ann.accessToken }),
      404,
      "not_found",
    );
    expectError(
      await api(base, "POST", "/contacts/requests/bad%20id!/accept", { token: bob.accessToken }),
      400,
      "bad_request",
    );
  });

  it("refuses bad requests: unknown user, self, duplicate, oversized message, a flood", async () => {
    const [ann, bob, cat, dan] = await Promise.all([
      registerUser(base, "ann"),
      registerUser(base, "bob"),
      registerUser(base, "cat"),
      registerUser(base, "dan"),
    ]);
    const ask = (userId: string, message?: string) =>
      api(base, "POST", "/contacts/requests", {
        token: ann.accessToken,
        body: message === undefined ? { userId } : { userId, message },
      });
    expectError(await ask("u_nobody_at_all"), 404, "not_found");
    expectError(await ask(ann.userId), 400, "bad_request");
    expectError(await ask(bob.userId, "x".repeat(201)), 400, "bad_request");
    expect((await ask(bob.userId)).status).toBe(201);
    expectError(await ask(bob.userId), 409, "conflict");
    expect((await ask(cat.userId)).status).toBe(201);
    // The limit (4) counts every request that reached the engine: bob, bob again, cat, dan.
    expect((await ask(dan.userId)).status).toBe(201);
    const flood = await ask(`${dan.userId}x`);
    expect(flood.status, "an unknown user is refused before it counts").toBe(404);
    const eve = await registerUser(base, "eve");
    expectError(await ask(eve.userId), 429, "rate_limited");
    expectError(
      await api(base, "POST", "/contacts/requests", { body: { userId: bob.userId } }),
      401,
      "unauthorized",
    );
  });

  it("a block: the request to the blocker and the blocked user's send are forbidden, as any refusal", async () => {
    const [ann, bob, cat] = await Promise.all([
      registerUser(base, "ann"),
      registerUser(base, "bob"),
      registerUser(base, "cat"),
    ]);
    const annWs = await connect(ann);
    const bobWs = await connect(bob);
    expect((await sendText(bobWs, ann.userId)).type).toBe("sent");
    expect(
      (await api(base, "PUT", `/blocks/${bob.userId}`, { token: ann.accessToken })).status,
    ).toBe(204);
    await annWs.next(contactFrame("blocked"));
    expectError(
      await api(base, "PUT", `/blocks/${ann.userId}`, { token: ann.accessToken }),
      400,
      "bad_request",
    );
    expectError(
      await api(base, "PUT", "/blocks/u_nobody_at_all", { token: ann.accessToken }),
      404,
      "not_found",
    );
    const blocks = await api(base, "GET", "/blocks", { token: ann.accessToken });
    expect(blocks.body).toEqual({
      blocks: [{ userId: bob.userId, username: bob.username, since: expect.any(Number) }],
      nextCursor: null,
    });
    const refusedRequest = await api(base, "POST", "/contacts/requests", {
      token: bob.accessToken,
      body: { userId: ann.userId },
    });
    expectError(refusedRequest, 403, "forbidden");
    const refusedSend = await sendText(bobWs, ann.userId);
    expect(refusedSend).toMatchObject({ type: "error", code: "forbidden" });

    // Privacy: contacts only refuses a stranger with the very same answer as the block.
    const privacy = await api(base, "PATCH", "/me/privacy", {
      token: ann.accessToken,
      body: { directMessages: "contacts" },
    });
    expect(privacy.body).toEqual({ directMessages: "contacts", groupInvites: "anyone" });
    expect((await api(base, "GET", "/me/privacy", { token: ann.accessToken })).body).toEqual(
      privacy.body,
    );
    const catWs = await connect(cat);
    const stranger = await sendText(catWs, ann.userId);
    expect(stranger).toMatchObject({ code: "forbidden", message: refusedSend.message });
    expectError(
      await api(base, "PATCH", "/me/privacy", {
        token: ann.accessToken,
        body: { directMessages: "friends" },
      }),
      400,
      "bad_request",
    );
    expectError(
      await api(base, "PATCH", "/me/privacy", { token: ann.accessToken, body: {} }),
      400,
      "bad_request",
    );
    // The blocked user cannot add the blocker to a group.
    expectError(
      await api(base, "POST", "/groups", {
        token: bob.accessToken,
        body: { name: "trap", members: [ann.userId] },
      }),
      403,
      "forbidden",
    );

    expect(
      (await api(base, "DELETE", `/blocks/${bob.userId}`, { token: ann.accessToken })).status,
    ).toBe(204);
    expectError(
      await api(base, "DELETE", `/blocks/${bob.userId}`, { token: ann.accessToken }),
      404,
      "not_found",
    );
  });

  it("pages the lists with limit and cursor", async () => {
    const [ann, bob, cat] = await Promise.all([
      registerUser(base, "ann"),
      registerUser(base, "bob"),
      registerUser(base, "cat"),
    ]);
    for (const other of [bob, cat]) {
      await api(base, "PUT", `/blocks/${other.userId}`, { token: ann.accessToken });
    }
    const ids = [bob.userId, cat.userId].sort();
    const first = await api(base, "GET", "/blocks?limit=1", { token: ann.accessToken });
    expect(first.body.blocks.map((b: { userId: string }) => b.userId)).toEqual([ids[0]]);
    expect(first.body.nextCursor).toBe(ids[0]);
    const second = await api(base, "GET", `/blocks?limit=1&cursor=${first.body.nextCursor}`, {
      token: ann.accessToken,
    });
    expect(second.body).toMatchObject({ blocks: [{ userId: ids[1] }], nextCursor: null });
    expectError(
      await api(base, "GET", "/blocks?limit=0", { token: ann.accessToken }),
      400,
      "bad_request",
    );
    expectError(
      await api(base, "GET", "/contacts/requests?direction=sideways", { token: ann.accessToken }),
      400,
      "bad_request",
    );
  });
});
