import { createHmac, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import { addressLimitKey } from "@lucky-im/core";
import type { CodeSender } from "./contracts/code-sender.js";
import type { CodeStore } from "./contracts/code-store.js";
import { authError, wrapError } from "./internal/errors.js";
import { enforce } from "./internal/limits.js";
import { createLoggingCodeSender } from "./logging-code-sender.js";
import { createMemoryCodeStore } from "./memory/memory-code-store.js";
import { inMemoryRateLimits, type RateLimit, type RateLimiterFactory } from "./rate-limits.js";

/** Options of {@link createVerificationCodes}. */
export interface VerificationCodesOptions {
  /**
   * Where codes are kept (hashed).
   * @default an in-memory store (one process only)
   */
  store?: CodeStore;
  /**
   * Delivers the codes.
   * @default createLoggingCodeSender() (development only)
   */
  sender?: CodeSender;
  /**
   * The HMAC key codes are hashed with, so a leaked store does not give the
   * codes away. Nodes sharing a store MUST share it.
   * @default random bytes, per process
   */
  secret?: string | Uint8Array;
  /**
   * How long a code is valid, in ms.
   * @default 300000 (5 minutes)
   */
  ttlMs?: number;
  /**
   * Verification attempts per code; the code is deleted after the last wrong one.
   * @default 3
   */
  maxAttempts?: number;
  /**
   * Digits per code.
   * @default 6
   */
  digits?: number;
  /**
   * Codes sent per recipient and purpose: one purpose (login codes, say) cannot
   * use up another's (password reset), and a code another user asks for (a
   * per-user purpose) cannot lock the recipient's own flows out.
   * @default { points: 5, durationMs: 3600000 }
   */
  sendLimitPerRecipient?: RateLimit;
  /**
   * Codes sent per client IP.
   * @default { points: 20, durationMs: 3600000 }
   */
  sendLimitPerIp?: RateLimit;
  /**
   * Makes the rate limiters (names `auth_code_recipient`, `auth_code_ip`).
   * @default in-memory limiters (core's `createMemoryRateLimiter`, one per budget)
   */
  rateLimiter?: RateLimiterFactory;
  /**
   * The clock, in ms since epoch.
   * @default Date.now
   */
  now?: () => number;
}

/** Options of one {@link VerificationCodes} call. */
export interface CodeOptions {
  /**
   * What the code is for; a code only verifies for its purpose.
   * @default "login"
   */
  purpose?: string;
  /** The client's IP, for the per-IP limit (none applied without it). */
  ip?: string;
}

/** One-time codes sent by SMS or e-mail, for login or registration checks. */
export interface VerificationCodes {
  /**
   * Generates a code, stores its hash (replacing the recipient's previous code
   * for that purpose) and sends it. Rejects with `rate_limited` past a limit,
   * `bad_request` for a bad recipient, `unavailable` when sending fails.
   */
  send(
    recipient: string,
    options?: CodeOptions,
  ): Promise<{
    /** When the code stops being accepted, in epoch milliseconds. */
    expiresAt: number;
  }>;
  /**
   * Resolves when `code` is the recipient's live code for the purpose, and
   * consumes it. Rejects with `unauthorized` for a wrong, expired, used or
   * exhausted code.
   */
  verify(recipient: string, code: string, options?: CodeOptions): Promise<void>;
}

const PURPOSE = /^[A-Za-z0-9_.:-]{1,64}$/;

function normaliseRecipient(recipient: unknown): string {
  const r = typeof recipient === "string" ? recipient.trim().toLowerCase() : "";
  if (r.length === 0 || r.length > 320) {
    throw authError(
      "bad_request",
      "recipient must be a non-empty string of at most 320 characters",
    );
  }
  return r;
}

function checkPurpose(purpose: string): string {
  if (!PURPOSE.test(purpose)) throw authError("bad_request", `bad code purpose "${purpose}"`);
  return purpose;
}

/**
 * @internal The codes with a check run once the code matched and before it is
 * consumed: a refusal there keeps the code (the attempt still counts).
 */
export interface CodeChecks extends VerificationCodes {
  verify(
    recipient: string,
    code: string,
    options?: CodeOptions,
    beforeConsume?: () => Promise<void>,
  ): Promise<void>;
}

/**
 * {@link VerificationCodes} over a {@link CodeStore} and a {@link CodeSender}.
 * Recipients are normalised (trimmed, lower-cased).
 *
 * @example
 * ```ts
 * const codes = createVerificationCodes({ store, sender: mySmsSender, secret: process.env.CODE_SECRET });
 * await codes.send("+15551234567", { ip });
 * await codes.verify("+15551234567", "042137");
 * ```
 */
export function createVerificationCodes(options: VerificationCodesOptions = {}): VerificationCodes {
  return createCodeChecks(options);
}

/** @internal {@link createVerificationCodes} with the `beforeConsume` check of {@link CodeChecks}. */
export function createCodeChecks(options: VerificationCodesOptions = {}): CodeChecks {
  const store = options.store ?? createMemoryCodeStore();
  const sender = options.sender ?? createLoggingCodeSender();
  const secret = options.secret ?? randomBytes(32);
  const ttlMs = options.ttlMs ?? 300_000;
  const maxAttempts = options.maxAttempts ?? 3;
  const digits = options.digits ?? 6;
  const now = options.now ?? Date.now;
  const factory = options.rateLimiter ?? inMemoryRateLimits;
  const byRecipient = factory({
    name: "auth_code_recipient",
    ...(options.sendLimitPerRecipient ?? { points: 5, durationMs: 3_600_000 }),
  });
  const byIp = factory({
    name: "auth_code_ip",
    ...(options.sendLimitPerIp ?? { points: 20, durationMs: 3_600_000 }),
  });
  const codePattern = new RegExp(`^\\d{${digits}}$`);

  const hash = (recipient: string, purpose: string, code: string) =>
    createHmac("sha256", secret).update(`${purpose}\u0000${recipient}\u0000${code}`).digest("hex");

  return {
    async send(recipientInput, callOptions = {}) {
      const recipient = normaliseRecipient(recipientInput);
      const purpose = checkPurpose(callOptions.purpose ?? "login");
      await enforce(
        [
          // Per purpose too: codes for one flow never exhaust another flow's budget.
          [byRecipient, `auth_code_recipient:${purpose}:${recipient}`],
          [
            byIp,
            callOptions.ip === undefined
              ? undefined
              : `auth_code_ip:${addressLimitKey(callOptions.ip)}`,
          ],
        ],
        "verification codes",
      );
      const code = randomInt(0, 10 ** digits)
        .toString()
        .padStart(digits, "0");
      const expiresAt = now() + ttlMs;
      try {
        await store.put({
          recipient,
          purpose,
          codeHash: hash(recipient, purpose, code),
          expiresAt,
        });
      } catch (error) {
        throw wrapError(error, "unavailable", "cannot store a verification code");
      }
      try {
        await sender.send({ recipient, code, purpose, expiresAt });
      } catch (error) {
        throw wrapError(error, "unavailable", `cannot send a verification code to ${recipient}`);
      }
      return { expiresAt };
    },
    async verify(recipientInput, code, callOptions = {}, beforeConsume) {
      const recipient = normaliseRecipient(recipientInput);
      const purpose = checkPurpose(callOptions.purpose ?? "login");
      if (typeof code !== "string" || !codePattern.test(code)) {
        throw authError("bad_request", `a code is ${digits} digits`);
      }
      let stored: Awaited<ReturnType<CodeStore["attempt"]>>;
      try {
        stored = await store.attempt(recipient, purpose, now());
      } catch (error) {
        throw wrapError(error, "unavailable", "cannot read a verification code");
      }
      if (!stored) throw authError("unauthorized", "no valid code: request a new one");
      if (stored.attempts > maxAttempts) {
        await store.delete(recipient, purpose);
        throw authError("unauthorized", "too many attempts: request a new code");
      }
      const expected = Buffer.from(stored.codeHash, "hex");
      const actual = Buffer.from(hash(recipient, purpose, code), "hex");
      if (expected.length === actual.length && timingSafeEqual(expected, actual)) {
        // A refusal here (a new password the policy refuses, say) keeps the code.
        await beforeConsume?.();
        if (await store.consume(recipient, purpose, stored.codeHash)) return;
        throw authError("unauthorized", "code already used: request a new one");
      }
      const left = maxAttempts - stored.attempts;
      if (left <= 0) await store.delete(recipient, purpose);
      throw authError(
        "unauthorized",
        left > 0 ? `wrong code: ${left} attempt(s) left` : "wrong code: request a new one",
      );
    },
  };
}
