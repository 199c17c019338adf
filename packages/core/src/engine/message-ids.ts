import { randomFillSync } from "node:crypto";

// The `uuid` package draws 16 fresh bytes from the OS for every id (a crypto call per
// message); this generator takes them from a pool refilled 4 KiB at a time.
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

function randomUint32(): number {
  if (poolOffset + 4 > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const value = pool.readUInt32BE(poolOffset);
  poolOffset += 4;
  return value;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function hex8(value: number): string {
  return (
    HEX[(value >>> 24) & 0xff]! +
    HEX[(value >>> 16) & 0xff]! +
    HEX[(value >>> 8) & 0xff]! +
    HEX[value & 0xff]!
  );
}

function hex4(value: number): string {
  return HEX[(value >>> 8) & 0xff]! + HEX[value & 0xff]!;
}

// State of the monotonic generator: 48-bit time, then 74 random bits (12 + 30 + 32)
// that count up within one millisecond, so ids made in one process sort in creation order.
let lastMs = -1;
let randA = 0; // 12 bits
let randBHigh = 0; // 30 bits
let randBLow = 0; // 32 bits

/**
 * A new UUIDv7 (RFC 9562): globally unique and ordered by creation time,
 * monotonic within this process (like the `uuid` package's `v7()`).
 */
export function newMessageId(): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    randA = randomUint32() & 0xfff;
    // The top bit stays clear, leaving room to count up within the millisecond.
    randBHigh = randomUint32() & 0x1fffffff;
    randBLow = randomUint32();
  } else {
    // Same millisecond (or the clock stepped back): count up from the last id.
    randBLow = (randBLow + 1) >>> 0;
    if (randBLow === 0) {
      randBHigh = (randBHigh + 1) & 0x3fffffff;
      if (randBHigh === 0) {
        randA = (randA + 1) & 0xfff;
        if (randA === 0) lastMs++;
      }
    }
  }
  const ms = lastMs;
  const timeHigh = Math.floor(ms / 0x10000); // top 32 of the 48 bits
  const timeLow = ms % 0x10000;
  // variant 10 in the top two bits, then the 30 high random bits.
  const variantWord = (0x80000000 | randBHigh) >>> 0;
  return `${hex8(timeHigh)}-${hex4(timeLow)}-${hex4(0x7000 | randA)}-${hex4(variantWord >>> 16)}-${hex4(variantWord & 0xffff)}${hex8(randBLow)}`;
}
