import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { SendContext } from "@lucky-im/core";
import { afterEach, describe, expect, it } from "vitest";
import {
  createBeforeSendWebhook,
  verifyWebhookSignature,
  WebhookConfigError,
} from "../src/index.js";

const secret = "whsec_before_send_secret";
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

async function endpoint(
  handle: (req: IncomingMessage, body: string, res: ServerResponse) => void,
): Promise<string> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => handle(req, body, res));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/before-send`;
}

const context: SendContext = {
  principal: { userId: "alice", claims: { sub: "alice" } },
  to: { type: "user", id: "bob" },
  conversationId: "d:alice:bob",
  body: { type: "text", text: "hello" },
};

const answer =
  (status: number, json?: unknown) => (_req: IncomingMessage, _b: string, res: ServerResponse) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(json === undefined ? undefined : JSON.stringify(json));
  };

describe("before-send webhook", () => {
  it("posts the send signed and accepts on 204 or accept", async () => {
    const seen: unknown[] = [];
    const url = await endpoint((req, body, res) => {
      const check = verifyWebhookSignature({ body, headers: req.headers, secret });
      seen.push({ ok: check.ok, event: JSON.parse(body) });
      res.writeHead(204).end();
    });
    const hook = createBeforeSendWebhook({ url, secret, failurePolicy: "closed" });
    await expect(hook(context)).resolves.toBeUndefined();
    expect(seen).toMatchObject([
      {
        ok: true,
        event: {
          type: "message.before_send",
          conversationId: "d:alice:bob",
          data: { from: "alice", to: { type: "user", id: "bob" }, body: { text: "hello" } },
        },
      },
    ]);
    const accept = createBeforeSendWebhook({
      url: await endpoint(answer(200, { action: "accept" })),
      secret,
      failurePolicy: "closed",
    });
    await expect(accept(context)).resolves.toBeUndefined();
  });

  it("rejects with forbidden and replaces a body", async () => {
    const reject = createBeforeSendWebhook({
      url: await endpoint(answer(200, { action: "reject", reason: "spam" })),
      secret,
      failurePolicy: "open",
    });
    await expect(reject(context)).rejects.toMatchObject({ code: "forbidden", message: /spam/ });
    const replace = createBeforeSendWebhook({
      url: await endpoint(
        answer(200, { action: "replace", body: { type: "text", text: "h***o" } }),
      ),
      secret,
      failurePolicy: "closed",
    });
    await expect(replace(context)).resolves.toEqual({ type: "text", text: "h***o" });
  });

  it("a timeout fails open or closed as configured", async () => {
    const url = await endpoint(() => undefined); // never answers
    const outcomes: string[] = [];
    const errors: string[] = [];
    const open = createBeforeSendWebhook({
      url,
      secret,
      timeoutMs: 50,
      failurePolicy: "open",
      onCall: (o) => outcomes.push(o),
      onError: (e) =>
        errors.push(e.message.replace("[lucky-im] [webhooks] before-send webhook failed: ", "")),
    });
    await expect(open(context)).resolves.toBeUndefined();
    const closed = createBeforeSendWebhook({ url, secret, timeoutMs: 50, failurePolicy: "closed" });
    await expect(closed(context)).rejects.toMatchObject({ code: "unavailable" });
    expect(outcomes).toEqual(["failed"]);
    expect(errors).toEqual(["timeout after 50 ms"]);
  });

  it("an error status, a refused connection or a nonsense answer follow the policy", async () => {
    const urls = [
      await endpoint(answer(500)),
      await endpoint(answer(200, { action: "maybe" })),
      await endpoint((_r, _b, res) => res.writeHead(200).end("not json")),
      await endpoint(answer(302)),
      "http://127.0.0.1:9/closed-port",
    ];
    for (const url of urls) {
      const open = createBeforeSendWebhook({ url, secret, failurePolicy: "open" });
      await expect(open(context)).resolves.toBeUndefined();
      const closed = createBeforeSendWebhook({ url, secret, failurePolicy: "closed" });
      await expect(closed(context)).rejects.toMatchObject({ code: "unavailable" });
    }
  });

  it("an answer over maxResponseBytes is a failure, not read to its end", async () => {
    // Streams chunks (no Content-Length) until the client goes away, at most 8 MiB.
    let written = 0;
    const streaming = await endpoint((_req, _b, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(16_384, " ");
      const pump = () => {
        while (written < 8 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      res.write('{"action":"accept",');
      pump();
    });
    const outcomes: string[] = [];
    const errors: string[] = [];
    const open = createBeforeSendWebhook({
      url: streaming,
      secret,
      timeoutMs: 10_000,
      failurePolicy: "open",
      onCall: (o) => outcomes.push(o),
      onError: (e) =>
        errors.push(e.message.replace("[lucky-im] [webhooks] before-send webhook failed: ", "")),
    });
    await expect(open(context)).resolves.toBeUndefined();
    expect(outcomes).toEqual(["failed"]);
    expect(errors).toEqual(["the answer is larger than 65536 bytes"]);
    expect(written).toBeLessThan(8 * 1024 * 1024);
    const closed = createBeforeSendWebhook({
      url: streaming,
      secret,
      timeoutMs: 10_000,
      failurePolicy: "closed",
      maxResponseBytes: 1024,
    });
    await expect(closed(context)).rejects.toMatchObject({ code: "unavailable" });
    // A declared Content-Length over the cap is refused before the body is read.
    const declared = await endpoint((_req, _b, res) => {
      const body = JSON.stringify({ action: "reject", reason: "x".repeat(2_000) });
      res.writeHead(200, { "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
    const small = createBeforeSendWebhook({
      url: declared,
      secret,
      failurePolicy: "open",
      maxResponseBytes: 1024,
      onError: (e) =>
        errors.push(e.message.replace("[lucky-im] [webhooks] before-send webhook failed: ", "")),
    });
    await expect(small(context)).resolves.toBeUndefined();
    expect(errors.at(-1)).toBe("the answer is larger than 1024 bytes");
    // Within the cap the same answer is read.
    const roomy = createBeforeSendWebhook({ url: declared, secret, failurePolicy: "open" });
    await expect(roomy(context)).rejects.toMatchObject({ code: "forbidden" });
  });

  it("refuses bad settings", () => {
    const base = { url: "https://example.com/x", secret, failurePolicy: "open" as const };
    expect(() => createBeforeSendWebhook({ ...base, url: "nope" })).toThrow(WebhookConfigError);
    expect(() => createBeforeSendWebhook({ ...base, secret: "short" })).toThrow(/at least 16/);
    expect(() => createBeforeSendWebhook({ ...base, timeoutMs: -1 })).toThrow(/timeoutMs/);
    expect(() => createBeforeSendWebhook({ ...base, maxResponseBytes: 0 })).toThrow(
      /maxResponseBytes/,
    );
    expect(() => createBeforeSendWebhook({ ...base, failurePolicy: "sometimes" as never })).toThrow(
      /failurePolicy/,
    );
  });
});
