import sharp from "sharp";

/** Options of {@link processImage}. */
export interface ProcessImageOptions {
  /** Longest side of the thumbnail, in pixels; default {@link DEFAULT_THUMBNAIL_SIZE}. */
  thumbnailSize?: number;
  /** Largest image accepted, in pixels (width × height): a decompression bomb is refused; default 40 megapixels. */
  maxPixels?: number;
}

/** What {@link processImage} makes of an upload. */
export interface ProcessedImage {
  /** The image without its metadata (EXIF: GPS position, camera, ...), turned upright, in its own format. */
  data: Buffer;
  /** Width in pixels (upright). */
  width: number;
  /** Height in pixels (upright). */
  height: number;
  /** A WebP thumbnail whose longest side is at most `thumbnailSize`. */
  thumbnail: Buffer;
}

/** Default thumbnail size: 320 pixels on the longest side. */
export const DEFAULT_THUMBNAIL_SIZE = 320;

/** Types {@link processImage} re-encodes (GIFs are left alone: re-encoding loses their animation). */
export const PROCESSED_IMAGE_TYPES: readonly string[] = ["image/jpeg", "image/png", "image/webp"];

/**
 * Strips the metadata of a JPEG, PNG or WebP image (sharp writes none unless asked), applies
 * its EXIF orientation, and makes a WebP thumbnail. Rejects bytes sharp cannot decode.
 */
export async function processImage(
  data: Uint8Array,
  options: ProcessImageOptions = {},
): Promise<ProcessedImage> {
  const size = options.thumbnailSize ?? DEFAULT_THUMBNAIL_SIZE;
  const limitInputPixels = options.maxPixels ?? 40_000_000;
  const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const upright = await sharp(input, { limitInputPixels })
    .rotate()
    .toBuffer({ resolveWithObject: true });
  const thumbnail = await sharp(upright.data, { limitInputPixels })
    .resize({ width: size, height: size, fit: "inside", withoutEnlargement: true })
    .webp({ quality: 75 })
    .toBuffer();
  return { data: upright.data, width: upright.info.width, height: upright.info.height, thumbnail };
}
