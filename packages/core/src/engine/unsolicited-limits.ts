import type { RateLimiter } from "../contracts/rate-limiter.js";
import type { Storage } from "../contracts/storage.js";
import { conversationIdFor } from "../domain/conversation.js";
import { ImError } from "../errors.js";
import { createMemoryRateLimiter } from "../memory/memory-rate-limiter.js";
import type { ImLimits } from "./options.js";

/** Pairs remembered as "have talked", so that only a first message costs a lookup. */
const MAX_KNOWN_PAIRS = 100_000;
/** Calls remembered per node, so that only a call's first `signal` counts. */
const MAX_KNOWN_CALLS = 100_000;

/**
 * Per-sender budgets on traffic nobody asked for: first messages to users the
 * sender has never talked to, new calls (`signal` with a new `callId`), and
 * strangers added to groups. Counted per node (in memory). A refusal is
 * `rate_limited` with `details.retryAfterMs`; nothing is stored, so the
 * client retries later with the same `cid`.
 */
export class UnsolicitedLimits {
  private readonly newDirect: RateLimiter;
  private readonly calls: RateLimiter;
  private readonly strangerAdds: RateLimiter;
  private readonly strangerAddsBudget: number;
  private readonly contactRequests: RateLimiter;
  // Insertion-ordered maps used as FIFO caches (bounded, oldest dropped first) of the
  // check each pair or call passed, or is passing: frames that race share one check.
  private readonly knownPairs = new Map<string, Promise<void>>();
  private readonly knownCalls = new Map<string, Promise<void>>();

  constructor(
    limits: ImLimits,
    private readonly storage: Storage,
  ) {
    const durationMs = limits.unsolicitedWindowMs;
    this.newDirect = createMemoryRateLimiter({
      points: limits.newDirectConversationsPerWindow,
      durationMs,
      keyPrefix: "new_direct",
    });
    this.calls = createMemoryRateLimiter({
      points: limits.callsPerWindow,
      durationMs,
      keyPrefix: "calls",
    });
    this.contactRequests = createMemoryRateLimiter({
      points: limits.contactRequestsPerWindow,
      durationMs,
      keyPrefix: "contact_requests",
    });
    this.strangerAddsBudget = limits.strangerAddsPerWindow;
    this.strangerAdds = createMemoryRateLimiter({
      points: limits.strangerAddsPerWindow,
      durationMs,
      keyPrefix: "stranger_adds",
    });
  }

  /**
   * Before a direct message from `from` to `to`: refuses a first message past the
   * budget. Undefined (no promise) when the pair is known to have talked.
   */
  checkDirect(from: string, to: string): Promise<void> | undefined {
    if (from === to) return undefined;
    return once(this.knownPairs, `${from}\u0000${to}`, MAX_KNOWN_PAIRS, async () => {
      const conversationId = conversationIdFor(from, { type: "user", id: to });
      const cursors = await this.storage.cursors.cursors(from, [conversationId]);
      if (cursors.length === 0) {
        await this.take(this.newDirect, from, 1, "new direct conversations");
      }
    });
  }

  /**
   * Before a `signal`: a new (`callId`, callee) pair from `from` counts against the calls
   * budget. Keyed by callee too, so one `callId` cannot ring any number of users for one.
   */
  async checkSignal(from: string, to: string, callId: string): Promise<void> {
    await once(this.knownCalls, `${from}\u0000${to}\u0000${callId}`, MAX_KNOWN_CALLS, () =>
      this.take(this.calls, from, 1, "calls"),
    );
  }

  /** Before a contact request from `from`: counts against the contact requests budget. */
  async checkContactRequest(from: string): Promise<void> {
    await this.take(this.contactRequests, from, 1, "contact requests");
  }

  /** Before `by` adds `userIds` to a group: those `by` never talked to count as strangers. */
  async checkGroupAdds(by: string, userIds: readonly string[]): Promise<void> {
    const others = userIds.filter((id) => id !== by);
    if (others.length === 0) return;
    const byConversation = new Map(
      others.map((id) => [conversationIdFor(by, { type: "user", id }), id]),
    );
    const cursors = await this.storage.cursors.cursors(by, [...byConversation.keys()]);
    const known = new Set(cursors.map((c) => byConversation.get(c.conversationId)));
    const strangers = others.filter((id) => !known.has(id)).length;
    if (strangers === 0) return;
    // Read what is left first: a refused batch must not spend the rest of the budget.
    const left = (await this.strangerAdds.consume(by, 0)).remaining;
    if (strangers > left) {
      throw new ImError(
        "rate_limited",
        `adding ${strangers} users you never talked to exceeds what is left of your budget (${left} of ${this.strangerAddsBudget}); retry later`,
        { details: { retryAfterMs: 60_000 } },
      );
    }
    await this.take(this.strangerAdds, by, strangers, "strangers added to groups");
  }

  private async take(limiter: RateLimiter, key: string, points: number, what: string) {
    const result = await limiter.consume(key, points);
    if (!result.allowed) {
      throw new ImError(
        "rate_limited",
        `too many ${what}; retry in ${Math.ceil(result.retryAfterMs / 1000)} s`,
        { details: { retryAfterMs: result.retryAfterMs } },
      );
    }
  }
}

/**
 * Runs `check` once per key: later callers share its promise (undefined once it
 * passed, so that known keys cost no promise); a refusal is forgotten, so the
 * next attempt checks again.
 */
function once(
  cache: Map<string, Promise<void>>,
  key: string,
  max: number,
  check: () => Promise<void>,
): Promise<void> | undefined {
  const known = cache.get(key);
  if (known === PASSED) return undefined;
  if (known) return known;
  const running = check().then(
    () => {
      cache.set(key, PASSED);
    },
    (error: unknown) => {
      cache.delete(key);
      throw error;
    },
  );
  cache.set(key, running);
  if (cache.size > max) cache.delete(cache.keys().next().value as string);
  return running;
}

/** The cache entry of a key whose check passed. */
const PASSED: Promise<void> = Promise.resolve();
