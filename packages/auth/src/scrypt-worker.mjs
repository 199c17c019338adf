// The body of the password hashing worker threads (see hash-pool.ts). Synchronous
// scrypt, so the derivation runs on this worker's own thread: async scrypt would
// still queue on libuv's 4 threads, which the main thread needs for files and crypto.
// Plain JavaScript so that it loads as it is, from the sources and from dist/.
import { scryptSync } from "node:crypto";

/** Derives one key; the job is a `ScryptJob` of hash-pool.ts. */
export default function derive(job) {
  const key = scryptSync(job.password, job.salt, job.keyLength, {
    N: job.N,
    r: job.r,
    p: job.p,
    maxmem: job.maxmem,
  });
  return new Uint8Array(key.buffer, key.byteOffset, key.byteLength);
}
