/** Options of {@link mediaDuration}. */
export interface MediaDurationOptions {
  /**
   * Largest file measured, in bytes: a bigger one answers `undefined` without being parsed;
   * default {@link DEFAULT_MEDIA_DURATION_MAX_BYTES}.
   */
  maxBytes?: number;
}

/** Default {@link MediaDurationOptions.maxBytes}: 32 MiB. */
export const DEFAULT_MEDIA_DURATION_MAX_BYTES = 32 * 1024 * 1024;

const MEDIA_TYPE = /^(audio|video)\//i;

/**
 * The duration of an audio or video file, in milliseconds (rounded), read from its headers by
 * `music-metadata` (WAV, MP3, Ogg/Opus, MP4/M4A, WebM with a duration, FLAC, ...), from the
 * bytes already in memory. `undefined` for other types, for a file over `maxBytes`, and for
 * bytes it cannot parse or that name no duration (a browser's recorded WebM often has none):
 * bad bytes never make it throw.
 */
export async function mediaDuration(
  data: Uint8Array,
  mime: string,
  options: MediaDurationOptions = {},
): Promise<number | undefined> {
  if (!MEDIA_TYPE.test(mime) || data.byteLength === 0) return undefined;
  if (data.byteLength > (options.maxBytes ?? DEFAULT_MEDIA_DURATION_MAX_BYTES)) return undefined;
  // ESM-only: a dynamic import keeps the CommonJS build loadable, and loads it on first use.
  const { parseBuffer } = await import("music-metadata");
  try {
    const { format } = await parseBuffer(
      data,
      { mimeType: mime, size: data.byteLength },
      // Headers only: no covers, no scan of every frame for the duration.
      { duration: false, skipCovers: true },
    );
    const seconds = format.duration;
    if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return undefined;
    return Math.round(seconds * 1000);
  } catch {
    return undefined;
  }
}
