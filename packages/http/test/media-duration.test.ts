import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createImServer, createMemoryTransport, ImError, type ImServer } from "@lucky-im/core";
import { uniqueName } from "@lucky-im/core/testing";
import { createLocalDiskFileStore } from "@lucky-im/files";
import Fastify, { type FastifyInstance } from "fastify";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentWav } from "../../files/test/wav.js";
import { imHttpPlugin } from "../src/index.js";

/** `POST /files` answers the duration of audio and video (`durationMs`), beside an image's size. */
describe("POST /files: durationMs", () => {
  let dir: string;
  let im: ImServer;
  let app: FastifyInstance;
  const user = uniqueName("u");

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "lucky-im-media-duration-"));
    im = createImServer({
      transport: createMemoryTransport(),
      authenticator: { authenticate: async (token) => ({ userId: token, claims: {} }) },
      logger: { info() {}, warn() {}, error() {} },
    });
    await im.start();
    app = Fastify();
    await app.register(imHttpPlugin, {
      prefix: "/im",
      im,
      files: createLocalDiskFileStore({ dir }),
      authenticate: async (request) => {
        const header = request.headers["x-user"];
        if (typeof header !== "string") throw new ImError("unauthorized", "who are you?");
        return header;
      },
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await im?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const upload = async (name: string, type: string, payload: Buffer, query = "") => {
    const response = await app.inject({
      method: "POST",
      url: `/im/files?name=${name}${query}`,
      headers: { "x-user": user, "content-type": type },
      payload,
    });
    return { status: response.statusCode, json: response.json() as Record<string, unknown> };
  };

  it("answers a WAV's duration in milliseconds", async () => {
    const wav = silentWav(1.5);
    const answer = await upload("voice.wav", "audio/wav", wav);
    expect(answer.status).toBe(201);
    expect(answer.json).toMatchObject({ size: wav.length, mime: "audio/wav", durationMs: 1500 });
    expect(answer.json.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(answer.json.width).toBeUndefined();
  });

  it("answers no duration for other files, and still an image's size and thumbnail", async () => {
    const text = await upload("a.txt", "text/plain", Buffer.from("hello"));
    expect(text.status).toBe(201);
    expect(text.json.durationMs).toBeUndefined();
    expect(Object.keys(text.json).sort()).toEqual(["fileId", "mime", "sha256", "size", "url"]);

    const png = await sharp({
      create: { width: 40, height: 20, channels: 3, background: "#3a7" },
    })
      .png()
      .toBuffer();
    const image = await upload("a.png", "image/png", png);
    expect(image.status).toBe(201);
    expect(image.json).toMatchObject({ width: 40, height: 20 });
    expect(image.json.thumbnailUrl).toMatch(/^\/files\//);
    expect(image.json.durationMs).toBeUndefined();
  });

  it("keeps the conversationId in the answer", async () => {
    const group = await im.groups.create({ ownerId: user, name: "g", memberIds: [] });
    const conversationId = `g:${group.groupId}`;
    const answer = await upload(
      "voice.wav",
      "audio/wav",
      silentWav(0.25),
      `&conversationId=${encodeURIComponent(conversationId)}`,
    );
    expect(answer.json).toMatchObject({ conversationId, durationMs: 250 });
  });

  it("documents durationMs in the OpenAPI document", async () => {
    const doc = (await app.inject({ method: "GET", url: "/im/openapi.json" })).json();
    const schema = doc.paths["/im/files"].post.responses["201"].content["application/json"].schema;
    expect(schema.properties.durationMs).toMatchObject({ type: "integer", minimum: 0 });
    expect(schema.properties.width).toMatchObject({ type: "integer" });
  });
});
