import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatServer } from "../src/chat-server.js";
import { registerUser, startTestServer, type TestUser } from "./helpers.js";

/** Bodies are refused before they are read: anonymous uploads, and lengths over the limit. */

const MAX_FILE_BYTES = 16 * 1024 * 1024;
const TEN_MIB = 10 * 1024 * 1024;

let server: ChatServer;
let stop: () => Promise<void>;
let user: TestUser;

beforeAll(async () => {
  ({ server, stop } = await startTestServer({ maxFileBytes: MAX_FILE_BYTES }));
  user = await registerUser(server.url, "upload");
});

afterAll(async () => {
  await stop();
});

/**
 * Sends the head of a request and only `sent` bytes of its announced body, then waits
 * for the answer without sending the rest: a server that reads the body first never answers
 * (resolves "no answer" after `patienceMs`, a failure sentinel, not a latency assertion).
 */
async function answerToPartialUpload(
  headers: Record<string, string>,
  sent: number,
  patienceMs = 5_000,
): Promise<string> {
  const { port } = server;
  const socket = connect(port, "127.0.0.1");
  const head = Object.entries({ host: `127.0.0.1:${port}`, ...headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  socket.write(`POST /files?name=big.bin HTTP/1.1\r\n${head}\r\n`);
  socket.write(Buffer.alloc(sent));
  let received = "";
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString("latin1");
  });
  socket.on("error", () => {});
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve("no answer");
    }, patienceMs);
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(received);
    };
    // The answer closes the connection; a complete JSON body is enough too.
    socket.on("close", done);
    socket.on("data", () => {
      if (/\r\n\r\n\{.*\}$/s.test(received)) done();
    });
  });
}

describe("upload bodies", () => {
  it("answers an anonymous 10 MiB upload 401 before the body is sent, and closes", async () => {
    const answer = await answerToPartialUpload(
      { "content-type": "application/octet-stream", "content-length": String(TEN_MIB) },
      64 * 1024,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer.toLowerCase()).toContain("connection: close");
    expect(answer).toContain('{"error":{"code":"unauthorized"');
  });

  it("answers a bad token 401 before the body is sent", async () => {
    const answer = await answerToPartialUpload(
      {
        "content-type": "application/octet-stream",
        "content-length": String(TEN_MIB),
        authorization: "Bearer not-a-token",
      },
      1024,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
  });

  it("answers a Content-Length over the limit 413 too_large before the body is sent", async () => {
    const answer = await answerToPartialUpload(
      {
        "content-type": "application/octet-stream",
        "content-length": String(MAX_FILE_BYTES + 1),
        authorization: `Bearer ${user.accessToken}`,
      },
      1024,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain('{"error":{"code":"too_large"');
  });

  it("answers an anonymous group creation 401 before its body is read", async () => {
    const { port } = server;
    const socket = connect(port, "127.0.0.1");
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    socket.write(
      `POST /groups HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"name":`,
    );
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5_000);
      socket.on("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    socket.destroy();
    expect(received).toMatch(/^HTTP\/1\.1 401 /);
  });
});
