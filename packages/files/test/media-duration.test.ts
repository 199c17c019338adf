import { describe, expect, it } from "vitest";
import { mediaDuration } from "../src/index.js";
import { silentWav } from "./wav.js";

describe("mediaDuration", () => {
  it("reads a WAV's duration in milliseconds", async () => {
    const duration = await mediaDuration(silentWav(1.5), "audio/wav");
    expect(duration).toBeGreaterThanOrEqual(1499);
    expect(duration).toBeLessThanOrEqual(1501);
    expect(await mediaDuration(silentWav(2, 16_000), "audio/x-wav")).toBe(2000);
  });

  it("answers undefined for types that are not audio or video, even with media bytes", async () => {
    expect(await mediaDuration(silentWav(1), "application/octet-stream")).toBeUndefined();
    expect(await mediaDuration(silentWav(1), "image/png")).toBeUndefined();
  });

  it("answers undefined for bytes it cannot parse", async () => {
    const garbage = Buffer.from("this is not an mp3, only some text pretending to be one");
    expect(await mediaDuration(garbage, "audio/mpeg")).toBeUndefined();
    expect(await mediaDuration(new Uint8Array(0), "audio/wav")).toBeUndefined();
  });

  it("never throws for a truncated file", async () => {
    const wav = silentWav(1.5);
    for (const length of [4, 12, 30, 44, 1000]) {
      const duration = await mediaDuration(wav.subarray(0, length), "audio/wav");
      expect(duration === undefined || typeof duration === "number").toBe(true);
    }
  });

  it("skips a file over maxBytes without parsing it", async () => {
    const wav = silentWav(1);
    expect(await mediaDuration(wav, "audio/wav", { maxBytes: wav.length - 1 })).toBeUndefined();
    expect(await mediaDuration(wav, "audio/wav", { maxBytes: wav.length })).toBe(1000);
  });
});
