import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { processImage } from "../src/index.js";

describe("processImage", () => {
  it("strips EXIF, turns the image upright, measures it and makes a thumbnail", async () => {
    // A 800×400 JPEG with a GPS-bearing EXIF block and orientation 6 (rotate 90° to show).
    const original = await sharp({
      create: { width: 800, height: 400, channels: 3, background: "#3a7" },
    })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .withExifMerge({ IFD0: { Make: "SecretCam" }, IFD3: { GPSLatitudeRef: "N" } })
      .toBuffer();
    const before = await sharp(original).metadata();
    expect(before.exif).toBeDefined();
    expect(before.orientation).toBe(6);

    const processed = await processImage(original);
    const after = await sharp(processed.data).metadata();
    expect(after.exif).toBeUndefined();
    expect(after.format).toBe("jpeg");
    expect([processed.width, processed.height]).toEqual([400, 800]);
    expect(processed.data.includes("SecretCam")).toBe(false);
    const thumb = await sharp(processed.thumbnail).metadata();
    expect([thumb.format, thumb.width, thumb.height]).toEqual(["webp", 160, 320]);
  });

  it("refuses bytes that are not an image, and images over the pixel limit", async () => {
    await expect(processImage(Buffer.from("<html>"))).rejects.toThrow();
    const big = await sharp({
      create: { width: 200, height: 200, channels: 3, background: "#000" },
    })
      .png()
      .toBuffer();
    await expect(processImage(big, { maxPixels: 100 * 100 })).rejects.toThrow(/pixel/i);
  });
});
