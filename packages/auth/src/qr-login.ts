import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { addressLimitKey } from "@lucky-im/core";
import type { TokenPair } from "./auth-service.js";
import type {
  LoginChallenge,
  LoginChallengeStatus,
  LoginChallengeStore,
} from "./contracts/login-challenge-store.js";
import type { AccountDeps } from "./internal/account-deps.js";
import { authError } from "./internal/errors.js";
import { enforce } from "./internal/limits.js";
import type { RateLimit } from "./rate-limits.js";

/** Options of QR-code login (see `AuthService.createLoginChallenge`). */
export interface QrLoginOptions {
  /**
   * How long a challenge can be approved and its tokens taken, in ms.
   * @default 120000 (2 minutes)
   */
  ttlMs?: number;
  /**
   * Longest device description accepted, in characters.
   * @default 200
   */
  maxDescriptionLength?: number;
  /**
   * Challenges made per client address (IPv4 address or IPv6 /64).
   * @default { points: 10, durationMs: 600000 }
   */
  createLimitPerIp?: RateLimit;
  /**
   * Polls per challenge (a waiting poll counts once), by the holder of its
   * secret only: the secret is checked first, so a stranger who read the
   * challenge id off the screen cannot spend this budget.
   * @default { points: 120, durationMs: 120000 }
   */
  pollLimitPerChallenge?: RateLimit;
  /**
   * Failed polls (an unknown or expired challenge, a wrong secret) per client
   * address (IPv4 address or IPv6 /64); past it they answer `rate_limited`
   * instead of `not_found`. Polls with the right secret never count here, so a
   * stranger sharing the device's address does not lock it out.
   * @default { points: 30, durationMs: 600000 }
   */
  pollFailureLimitPerIp?: RateLimit;
  /**
   * Challenge reads, approvals and declines per signed-in user.
   * @default { points: 30, durationMs: 60000 }
   */
  decideLimitPerUser?: RateLimit;
  /**
   * Longest a poll may wait for a decision, in ms (a longer `waitMs` is cut to it).
   * @default 25000
   */
  maxWaitMs?: number;
  /**
   * How often a waiting poll reads the store, in ms: a decision made on another
   * node is seen within this; one made on this node wakes the poll at once.
   * @default 500
   */
  pollIntervalMs?: number;
}

/** What the new device gets when it asks to be logged in by QR code. */
export interface LoginChallengeTicket {
  /** The id to show as a QR code (or text): the signed-in device approves it. */
  challengeId: string;
  /** Kept by the new device, never shown: only it takes the tokens (`pollLoginChallenge`). */
  secret: string;
  /** When the challenge expires (ms since epoch). */
  expiresAt: number;
}

/** What the signed-in device sees of a challenge before approving it. */
export interface LoginChallengeView {
  /** The challenge's id. */
  challengeId: string;
  /** Where the challenge stands. */
  status: LoginChallengeStatus;
  /** What the new device says it is. */
  description: string;
  /** The new device's IP address, when known. */
  ip?: string;
  /** When it was made (ms since epoch). */
  createdAt: number;
  /** When it expires (ms since epoch). */
  expiresAt: number;
}

/** What a poll of the new device learns. */
export type LoginChallengePoll =
  | {
      /** Nobody decided yet (or the wait ended first): poll again. */
      status: "pending";
      /** When the challenge expires (ms since epoch). */
      expiresAt: number;
    }
  | {
      /** The signed-in user declined: show it, and ask for a new challenge to retry. */
      status: "declined";
    }
  | {
      /** Approved: the tokens of the approving user, issued to this device once. */
      status: "approved";
      /** The new device's tokens. */
      tokens: TokenPair;
    };

/** QR-code login flows. */
export interface QrLogin {
  create(context: {
    description?: string;
    ip?: string;
    deviceId?: string;
    deviceClass?: string;
  }): Promise<LoginChallengeTicket>;
  view(userId: string, challengeId: string): Promise<LoginChallengeView>;
  decide(
    userId: string,
    challengeId: string,
    decision: "approved" | "declined",
  ): Promise<LoginChallengeView>;
  poll(
    challengeId: string,
    secret: string,
    options: { waitMs?: number; signal?: AbortSignal; ip?: string },
  ): Promise<LoginChallengePoll>;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("base64url");
const ID = /^[A-Za-z0-9_-]{16,64}$/;

function notFound() {
  return authError("not_found", "unknown or expired login challenge");
}

function viewOf(challenge: LoginChallenge): LoginChallengeView {
  const view: LoginChallengeView = {
    challengeId: challenge.challengeId,
    status: challenge.status,
    description: challenge.description,
    createdAt: challenge.createdAt,
    expiresAt: challenge.expiresAt,
  };
  if (challenge.ip !== undefined) view.ip = challenge.ip;
  return view;
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** @internal QR login over a challenge store and the auth service's pieces. */
export function createQrLogin(
  deps: AccountDeps,
  challenges: LoginChallengeStore,
  options: QrLoginOptions = {},
): QrLogin {
  const { store, now } = deps;
  const ttlMs = options.ttlMs ?? 120_000;
  const maxDescription = options.maxDescriptionLength ?? 200;
  const maxWaitMs = options.maxWaitMs ?? 25_000;
  const intervalMs = Math.max(10, options.pollIntervalMs ?? 500);
  const createsByIp = deps.rateLimiter({
    name: "auth_qr_create_ip",
    ...(options.createLimitPerIp ?? { points: 10, durationMs: 600_000 }),
  });
  const pollsByChallenge = deps.rateLimiter({
    name: "auth_qr_poll",
    ...(options.pollLimitPerChallenge ?? { points: 120, durationMs: 120_000 }),
  });
  const pollFailuresByIp = deps.rateLimiter({
    name: "auth_qr_poll_fail_ip",
    ...(options.pollFailureLimitPerIp ?? { points: 30, durationMs: 600_000 }),
  });
  const decisionsByUser = deps.rateLimiter({
    name: "auth_qr_decide_user",
    ...(options.decideLimitPerUser ?? { points: 30, durationMs: 60_000 }),
  });
  // Polls waiting on this node, woken at once by a decision made here.
  const waiting = new Map<string, Set<() => void>>();
  const wake = (challengeId: string) => {
    for (const resume of waiting.get(challengeId) ?? []) resume();
  };

  function checkId(challengeId: unknown): string {
    if (typeof challengeId !== "string" || !ID.test(challengeId)) throw notFound();
    return challengeId;
  }

  async function live(challengeId: string): Promise<LoginChallenge> {
    const challenge = await store("read a login challenge", () =>
      challenges.get(challengeId, now()),
    );
    if (!challenge) throw notFound();
    return challenge;
  }

  /** Waits up to `ms`, or less when a decision on this node (or `signal`) wakes it. */
  function pause(challengeId: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      let set = waiting.get(challengeId);
      if (!set) {
        set = new Set();
        waiting.set(challengeId, set);
      }
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        set.delete(done);
        if (set.size === 0) waiting.delete(challengeId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  return {
    async create(context) {
      const description = context.description ?? "";
      if (typeof description !== "string" || description.length > maxDescription) {
        throw authError("bad_request", `description must be at most ${maxDescription} characters`);
      }
      // biome-ignore lint/suspicious/noControlCharactersInRegex: shown to the approving user as is
      if (/[\u0000-\u001f\u007f]/.test(description)) {
        throw authError("bad_request", "description must not contain control characters");
      }
      await enforce([[createsByIp, addressLimitKey(context.ip)]], "login challenges");
      const challengeId = randomBytes(16).toString("base64url");
      const secret = randomBytes(32).toString("base64url");
      const createdAt = now();
      const expiresAt = createdAt + ttlMs;
      const record: Omit<LoginChallenge, "status" | "userId"> = {
        challengeId,
        secretHash: sha256(secret),
        description: description.trim() || "an unnamed device",
        createdAt,
        expiresAt,
      };
      if (context.ip !== undefined) record.ip = context.ip;
      if (typeof context.deviceId === "string") record.deviceId = context.deviceId;
      if (typeof context.deviceClass === "string") record.deviceClass = context.deviceClass;
      await store("store a login challenge", () => challenges.create(record));
      return { challengeId, secret, expiresAt };
    },

    async view(userId, challengeIdInput) {
      const challengeId = checkId(challengeIdInput);
      await enforce([[decisionsByUser, userId]], "login challenge requests");
      return viewOf(await live(challengeId));
    },

    async decide(userId, challengeIdInput, decision) {
      const challengeId = checkId(challengeIdInput);
      await enforce([[decisionsByUser, userId]], "login challenge requests");
      const decided = await store("decide a login challenge", () =>
        challenges.decide(challengeId, userId, decision, now()),
      );
      if (!decided) {
        const current = await live(challengeId);
        throw authError("conflict", `this login challenge is already ${current.status}`);
      }
      wake(challengeId);
      return viewOf(decided);
    },

    async poll(challengeIdInput, secret, pollOptions) {
      // A failure counts against the caller's address only: `not_found`, or
      // `rate_limited` past the limit. It never touches the challenge's budget.
      const refuse = async () => {
        await enforce(
          [[pollFailuresByIp, addressLimitKey(pollOptions.ip)]],
          "failed polls of login challenges",
        );
        return notFound();
      };
      if (
        typeof challengeIdInput !== "string" ||
        !ID.test(challengeIdInput) ||
        typeof secret !== "string" ||
        secret.length === 0 ||
        secret.length > 128
      ) {
        throw await refuse();
      }
      const challengeId = challengeIdInput;
      const secretHash = sha256(secret);
      // The secret first (constant-time): only its holder spends the poll budget.
      const first = await store("read a login challenge", () => challenges.get(challengeId, now()));
      // A wrong secret learns nothing, not even that the id exists.
      if (!first || !sameHash(first.secretHash, secretHash)) throw await refuse();
      const waitMs = Math.min(Math.max(0, pollOptions.waitMs ?? 0), maxWaitMs);
      await enforce([[pollsByChallenge, challengeId]], "polls of this login challenge");
      for (
        let waited = 0, challenge: LoginChallenge = first;
        ;
        challenge = await live(challengeId)
      ) {
        if (!sameHash(challenge.secretHash, secretHash)) throw notFound();
        if (challenge.status === "declined") return { status: "declined" };
        if (challenge.status === "consumed") {
          throw authError("conflict", "this login challenge was already used");
        }
        if (challenge.status === "approved") {
          const taken = await store("use a login challenge", () =>
            challenges.consume(challengeId, secretHash, now()),
          );
          // Another poll took it meanwhile: the next read says so.
          if (!taken?.userId) continue;
          const userId = taken.userId;
          const user = await store("read a user", () => deps.credentials.findById(userId));
          if (!user) throw notFound();
          const tokens = await deps.issue(user, {
            ...(taken.deviceId === undefined ? {} : { deviceId: taken.deviceId }),
            ...(taken.deviceClass === undefined ? {} : { deviceClass: taken.deviceClass }),
            ...(taken.ip === undefined ? {} : { ip: taken.ip }),
          });
          return { status: "approved", tokens };
        }
        if (waited >= waitMs || pollOptions.signal?.aborted) {
          return { status: "pending", expiresAt: challenge.expiresAt };
        }
        const step = Math.min(intervalMs, waitMs - waited);
        await pause(challengeId, step, pollOptions.signal);
        waited += step;
      }
    },
  };
}
