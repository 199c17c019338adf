import { TurnBatch } from "@lucky-im/core";
import type { Redis } from "ioredis";

// Like rate-limiter-flexible's own script but in milliseconds (its Redis store
// floors the window to whole seconds, and a window under 1 s would never expire),
// and for many keys at once. ARGV, three per key: points, windowMs (0 = no expiry),
// force ('1': set instead of add). Returns consumed and ttl per key, flattened.
const UPSERT_MANY_LUA = `
local out = {}
for i, key in ipairs(KEYS) do
  local points, ms, force = tonumber(ARGV[i * 3 - 2]), tonumber(ARGV[i * 3 - 1]), ARGV[i * 3]
  local consumed, ttl
  if force == '1' then
    if ms > 0 then redis.call('SET', key, points, 'PX', ms) else redis.call('SET', key, points) end
    consumed, ttl = points, redis.call('PTTL', key)
  else
    if ms > 0 then redis.call('SET', key, 0, 'PX', ms, 'NX') end
    consumed = redis.call('INCRBY', key, points)
    ttl = redis.call('PTTL', key)
    if ttl == -1 and ms > 0 then
      redis.call('PEXPIRE', key, ms)
      ttl = ms
    end
  end
  out[#out + 1] = consumed
  out[#out + 1] = ttl
end
return out
`;
const UPSERT_MANY = "luckyImRateLimitUpsertMany";

type UpsertMany = (numberOfKeys: number, ...keysThenArgs: string[]) => Promise<number[]>;

interface Upsert {
  key: string;
  points: number;
  ms: number;
  force: boolean;
}

/**
 * @internal The limiter's store step (add points to a key's window, or set
 * them) for every `consume` of one event-loop turn in one script call. Each
 * frame a user sends is checked here, so one call per frame was the
 * largest share of Redis work under load; now it is one call per turn.
 * Keys are applied in arrival order, so two consumes of the same key in one
 * batch see each other exactly as two calls would.
 */
export class RateLimitUpserts {
  private readonly batch: TurnBatch<Upsert, [number, number]>;
  private closing = false;

  /** @param windowMs - how long a batch waits for company; 0: one event-loop turn */
  constructor(client: Redis, maxKeysPerCall: number, windowMs: number) {
    client.defineCommand(UPSERT_MANY, { lua: UPSERT_MANY_LUA });
    const upsertMany = (client as unknown as Record<string, UpsertMany>)[UPSERT_MANY] as UpsertMany;
    this.batch = new TurnBatch(
      async (upserts) => {
        const args: string[] = upserts.map((u) => u.key);
        for (const u of upserts) args.push(String(u.points), String(u.ms), u.force ? "1" : "0");
        const flat = await upsertMany.call(client, upserts.length, ...args);
        return upserts.map((_, i): [number, number] => [
          Number(flat[i * 2]),
          Number(flat[i * 2 + 1]),
        ]);
      },
      { maxBatch: maxKeysPerCall, ...(windowMs > 0 ? { windowMs } : {}) },
    );
  }

  /** Sends what waits for its window now, and later calls at once (the limiter is closing). */
  stopWaiting(): void {
    this.closing = true;
    this.batch.flush();
  }

  /** Adds `points` to `key` (or sets it, `force`) in a window of `ms`; resolves [consumed, ttl]. */
  upsert(key: string, points: number, ms: number, force: boolean): Promise<[number, number]> {
    const answer = this.batch.submit({ key, points, ms, force });
    if (this.closing) this.batch.flush();
    return answer;
  }
}
