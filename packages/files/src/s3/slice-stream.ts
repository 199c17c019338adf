import { Readable } from "node:stream";

/**
 * The bytes `skip` to `skip + length - 1` of a stream, and nothing after them.
 * Some S3-compatible servers answer a range with more than was asked (s3rver 3.7
 * reads `bytes=0-0` as the whole object): the adapter cuts the answer to the range.
 * @internal
 */
export function sliceStream(source: Readable, skip: number, length: number): Readable {
  return Readable.from(
    (async function* () {
      let toSkip = skip;
      let left = length;
      try {
        for await (const raw of source) {
          let chunk = Buffer.from(raw as Uint8Array);
          if (toSkip > 0) {
            const dropped = Math.min(toSkip, chunk.length);
            chunk = chunk.subarray(dropped);
            toSkip -= dropped;
          }
          if (chunk.length === 0) continue;
          const kept = chunk.subarray(0, left);
          left -= kept.length;
          yield kept;
          if (left === 0) break;
        }
      } finally {
        source.destroy();
      }
    })(),
  );
}
