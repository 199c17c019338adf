import { fileTypeFromBuffer } from "file-type";

/** Types that name one container: what the bytes say and what a browser declares can differ. */
const FAMILIES: string[][] = [
  ["video/webm", "audio/webm"],
  ["video/mp4", "audio/mp4", "audio/x-m4a", "audio/m4a", "video/quicktime"],
  ["audio/ogg", "video/ogg", "audio/opus", "application/ogg"],
  ["audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"],
  ["audio/mpeg", "audio/mp3"],
  ["image/jpeg", "image/jpg"],
  // Office documents, JARs, EPUBs are zip archives.
  [
    "application/zip",
    "application/x-zip-compressed",
    "application/java-archive",
    "application/epub+zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  ],
];

const familyOf = (mime: string) => FAMILIES.find((family) => family.includes(mime)) ?? [mime];

/** Declared types whose bytes always carry a signature: refused when none is found. */
const SIGNED = /^(image|audio|video)\/|^application\/(pdf|zip|gzip|x-7z-compressed)$/;

/**
 * Whether the bytes are what the upload says they are, from their signature
 * (`file-type`, which reads the first few KiB). `ok: false` carries what was found.
 */
export async function sniffMatches(
  declared: string,
  head: Uint8Array,
): Promise<{
  /** True when the bytes may be stored under the declared type. */
  ok: boolean;
  /** The type the signature names, when one was found. */
  detected: string | undefined;
}> {
  // "Some bytes": served as a download whatever they are.
  if (declared === "application/octet-stream") return { ok: true, detected: undefined };
  const found = await fileTypeFromBuffer(head);
  if (!found)
    return { ok: !SIGNED.test(declared) || declared === "image/svg+xml", detected: undefined };
  return { ok: familyOf(declared).includes(found.mime), detected: found.mime };
}
