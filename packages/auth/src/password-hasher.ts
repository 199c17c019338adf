import { randomBytes, timingSafeEqual } from "node:crypto";
import { ConfigError } from "@lucky-im/core";
import { createHashPool, type HashPool } from "./hash-pool.js";

/** The lowest scrypt cost accepted: OWASP's minimum (N=2^17, r=8, p=1). Lower costs are for tests. */
export const OWASP_MIN_LOG_N = 17;

/** Options of {@link createPasswordHasher}. */
export interface PasswordHasherOptions {
  /**
   * log2 of the scrypt CPU/memory cost N. 17 (N = 2^17, about 128 MiB and a
   * few hundred ms per hash) is the OWASP recommendation; lower it only in tests.
   * @default 17
   */
  logN?: number;
  /**
   * The scrypt block size r.
   * @default 8
   */
  blockSize?: number;
  /**
   * The scrypt parallelisation p.
   * @default 1
   */
  parallelization?: number;
  /**
   * Bytes of derived key.
   * @default 32
   */
  keyLength?: number;
  /**
   * Bytes of random salt.
   * @default 16
   */
  saltLength?: number;
  /**
   * The worker threads hashes run on, bounded in concurrency and queue.
   * @default createHashPool() (2 threads, 8 queued, 2 per key)
   */
  pool?: HashPool;
}

/** Who a hash is computed for, to share the pool fairly. */
export interface HashContext {
  /** Counted against the pool's per-key bound (the client IP). */
  key?: string;
}

/**
 * Hashes and checks passwords with scrypt. Hashes are self-describing PHC
 * strings, `$scrypt$ln=17,r=8,p=1$<salt>$<hash>` (base64, unpadded), so the
 * cost can change without breaking stored hashes.
 */
export interface PasswordHasher {
  /** Hashes a password (Unicode NFKC-normalised first) with a fresh salt. */
  hash(password: string, context?: HashContext): Promise<string>;
  /**
   * True when `password` matches `hash`, compared in constant time. Resolves
   * false for a hash it cannot parse or whose cost is out of bounds.
   */
  verify(password: string, hash: string, context?: HashContext): Promise<boolean>;
  /** True when `hash` was made with other parameters than this hasher's (rehash it at the next login). */
  needsRehash(hash: string): boolean;
  /** Stops the worker threads of a pool the hasher created itself. Idempotent. */
  close?(): Promise<void>;
}

interface Params {
  logN: number;
  r: number;
  p: number;
}

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

// Bounds on parameters read from a stored hash, so a tampered row cannot make
// a login allocate gigabytes.
const MAX_LOG_N = 22;
const MAX_R = 32;
const MAX_P = 16;

function parse(hash: string): (Params & { salt: Buffer; key: Buffer }) | undefined {
  const m = PHC.exec(hash);
  if (!m) return undefined;
  const params = { logN: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (params.logN < 1 || params.logN > MAX_LOG_N) return undefined;
  if (params.r < 1 || params.r > MAX_R || params.p < 1 || params.p > MAX_P) return undefined;
  return { ...params, salt: Buffer.from(m[4]!, "base64"), key: Buffer.from(m[5]!, "base64") };
}

function derive(
  pool: HashPool,
  password: string,
  salt: Buffer,
  keyLength: number,
  params: Params,
  key: string | undefined,
): Promise<Buffer> {
  const N = 2 ** params.logN;
  // Node refuses scrypt beyond `maxmem` (32 MiB by default); 128*N*r bytes are needed.
  const maxmem = 2 * 128 * N * params.r + 1024 * 1024;
  return pool.run(
    { password: password.normalize("NFKC"), salt, keyLength, N, r: params.r, p: params.p, maxmem },
    key,
  );
}

const b64 = (bytes: Buffer) => bytes.toString("base64").replace(/=+$/, "");

/**
 * A {@link PasswordHasher} over `node:crypto` scrypt, run on a bounded pool of
 * worker threads ({@link createHashPool}): a flood of logins is refused with
 * `rate_limited` / `unavailable` instead of starving the rest of the server.
 *
 * @example
 * ```ts
 * const hasher = createPasswordHasher();
 * const stored = await hasher.hash("correct horse");
 * await hasher.verify("correct horse", stored); // true
 * ```
 */
export function createPasswordHasher(options: PasswordHasherOptions = {}): PasswordHasher {
  const params: Params = {
    logN: options.logN ?? OWASP_MIN_LOG_N,
    r: options.blockSize ?? 8,
    p: options.parallelization ?? 1,
  };
  const keyLength = options.keyLength ?? 32;
  const saltLength = options.saltLength ?? 16;
  if (params.logN < 1 || params.logN > MAX_LOG_N) {
    throw new ConfigError("auth", `logN must be within 1..${MAX_LOG_N}`);
  }
  let ownPool: HashPool | undefined;
  const pool = () => {
    if (options.pool) return options.pool;
    ownPool ??= createHashPool();
    return ownPool;
  };

  return {
    async hash(password, context = {}) {
      const salt = randomBytes(saltLength);
      const key = await derive(pool(), password, salt, keyLength, params, context.key);
      return `$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
    },
    async verify(password, hash, context = {}) {
      const parsed = parse(hash);
      if (!parsed || parsed.key.length < 16) return false;
      const key = await derive(
        pool(),
        password,
        parsed.salt,
        parsed.key.length,
        parsed,
        context.key,
      );
      return timingSafeEqual(key, parsed.key);
    },
    needsRehash(hash) {
      const parsed = parse(hash);
      return (
        !parsed ||
        parsed.logN !== params.logN ||
        parsed.r !== params.r ||
        parsed.p !== params.p ||
        parsed.key.length !== keyLength ||
        parsed.salt.length !== saltLength
      );
    },
    async close() {
      const own = ownPool;
      ownPool = undefined;
      await own?.close();
    },
  };
}
