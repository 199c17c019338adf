import type { ByteRange } from "../file-store.js";

/**
 * Reads an HTTP `Range` header against a size: `undefined` for no header, another unit
 * or several ranges (the whole file is then sent, as RFC 9110 allows); `"invalid"` for
 * a bytes range that is malformed or outside the file (answered 416); else the range.
 * Forms: `bytes=0-99`, `bytes=100-` (to the end), `bytes=-100` (the last 100 bytes).
 */
export function parseByteRange(
  header: string | undefined,
  size: number,
): ByteRange | "invalid" | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!match) return undefined;
  const spec = match[1]!.trim();
  if (spec.includes(",")) return undefined;
  const parts = /^(\d*)-(\d*)$/.exec(spec);
  if (!parts || (parts[1] === "" && parts[2] === "")) return "invalid";
  if (parts[1] === "") {
    const suffix = Number(parts[2]);
    if (suffix === 0 || size === 0) return "invalid";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(parts[1]);
  const end = parts[2] === "" ? size - 1 : Math.min(Number(parts[2]), size - 1);
  if (start >= size || end < start) return "invalid";
  return { start, end };
}
