import { createHash } from "node:crypto";
import { addressLimitKey, isImError } from "@lucky-im/core";
import type { LoginContext, TokenPair } from "./auth-service.js";
import type { UserCredentials } from "./contracts/credential-store.js";
import type { AccountDeps } from "./internal/account-deps.js";
import { authError } from "./internal/errors.js";
import { enforce } from "./internal/limits.js";
import type { RateLimit } from "./rate-limits.js";

/** Options of the account recovery flows (password reset, login by code, the account's recipient). */
export interface AccountRecoveryOptions {
  /**
   * Code requests (password reset, login code, recipient check) per recipient
   * and purpose. Past it the request is refused with `rate_limited`, whether
   * or not an account holds the recipient. A recipient check's purpose is the
   * asking user's own, so another user asking codes for the same recipient
   * does not use it up.
   * @default { points: 3, durationMs: 900000 }
   */
  requestLimitPerRecipient?: RateLimit;
  /**
   * Code requests per client address (IPv4 address or IPv6 /64), every purpose together.
   * @default { points: 10, durationMs: 900000 }
   */
  requestLimitPerIp?: RateLimit;
  /**
   * Code checks (password reset, login by code) per client address (IPv4
   * address or IPv6 /64): with the attempts per code, bounds guessing. Every
   * check counts, first, whatever its outcome.
   * @default { points: 20, durationMs: 900000 }
   */
  checkLimitPerIp?: RateLimit;
}

/** The answer to a code request: the same whether or not an account holds the recipient. */
export interface CodeRequestResult {
  /** When a code sent now would stop being accepted (ms since epoch). */
  expiresAt: number;
}

/** Password reset and login by one-time code, over the account's verified recipient. */
export interface AccountRecovery {
  requestRecipientCode(
    userId: string,
    recipient: string,
    context: { ip?: string },
  ): Promise<CodeRequestResult>;
  confirmRecipient(userId: string, recipient: string, code: string): Promise<{ recipient: string }>;
  removeRecipient(userId: string): Promise<void>;
  getRecipient(userId: string): Promise<string | undefined>;
  requestPasswordReset(recipient: string, context: { ip?: string }): Promise<CodeRequestResult>;
  resetPassword(
    recipient: string,
    code: string,
    newPassword: string,
    context: LoginContext,
  ): Promise<TokenPair>;
  requestLoginCode(recipient: string, context: { ip?: string }): Promise<CodeRequestResult>;
  loginWithCode(recipient: string, code: string, context: LoginContext): Promise<TokenPair>;
}

/** The code purposes of these flows (apart from the application's own `login`). */
export const RESET_PURPOSE = "password_reset";
/** The purpose of login codes. */
export const LOGIN_PURPOSE = "account_login";

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;
const PHONE = /^\+?[0-9]{5,20}$/;

/**
 * An e-mail address or a phone number, normalised (trimmed, lower-cased, phone
 * separators removed); `bad_request` otherwise.
 */
export function normaliseRecipient(input: unknown): string {
  if (typeof input !== "string") throw authError("bad_request", "recipient must be a string");
  const trimmed = input.trim().toLowerCase();
  if (EMAIL.test(trimmed)) return trimmed;
  const phone = trimmed.replace(/[\s().-]/g, "");
  if (PHONE.test(phone)) return phone;
  throw authError("bad_request", "recipient must be an e-mail address or a phone number");
}

/** The purpose of a recipient check: per user, so another user's request cannot replace it. */
function recipientPurpose(userId: string): string {
  return `recipient.${createHash("sha256").update(userId).digest("base64url").slice(0, 22)}`;
}

/** The one refusal of a code check, whatever was wrong (no account enumeration). */
function noValidCode() {
  return authError("unauthorized", "wrong or expired code: check it, or request a new one");
}

/** @internal The flows over the auth service's pieces. */
export function createAccountRecovery(
  deps: AccountDeps,
  options: AccountRecoveryOptions = {},
): AccountRecovery {
  const { credentials, store, now } = deps;
  const byRecipient = deps.rateLimiter({
    name: "auth_recovery_recipient",
    ...(options.requestLimitPerRecipient ?? { points: 3, durationMs: 900_000 }),
  });
  const byIp = deps.rateLimiter({
    name: "auth_recovery_ip",
    ...(options.requestLimitPerIp ?? { points: 10, durationMs: 900_000 }),
  });
  const checksByIp = deps.rateLimiter({
    name: "auth_recovery_check_ip",
    ...(options.checkLimitPerIp ?? { points: 20, durationMs: 900_000 }),
  });

  const limitRequest = (recipient: string, purpose: string, ip: string | undefined) =>
    enforce(
      [
        [byRecipient, `${purpose}:${recipient}`],
        [byIp, addressLimitKey(ip)],
      ],
      "code requests",
    );

  /** Every code check counts against its address's budget, first, whatever its outcome. */
  const limitCheck = (ip: string | undefined) =>
    enforce([[checksByIp, addressLimitKey(ip)]], "code checks");

  /**
   * Sends a code when an account holds the recipient, in the background: the
   * answer, and its timing, are the same either way (no account enumeration).
   */
  async function requestFor(
    purpose: string,
    recipientInput: string,
    context: { ip?: string },
  ): Promise<CodeRequestResult> {
    const recipient = normaliseRecipient(recipientInput);
    await limitRequest(recipient, purpose, context.ip);
    const expiresAt = now() + deps.codeTtlMs;
    void (async () => {
      const user = await store("read a user", () => credentials.findByRecipient(recipient));
      if (user) await deps.codes.sendCode(recipient, { purpose });
    })().catch((error: unknown) => deps.onError(error, "sending a code"));
    return { expiresAt };
  }

  /**
   * Checks and consumes the code, then names the account holding the recipient.
   * Every refusal before a valid code is alike whether or not an account holds
   * the recipient: the caller counts the per-IP check limit first, and a wrong,
   * expired, used or exhausted code, or no code at all (none is sent when no
   * account holds the recipient), is the same `unauthorized` (the attempts
   * left are not told: they would tell that a code was sent). `accept` runs
   * once the code matched, before it is consumed: a refusal there keeps it.
   */
  async function checkCode(
    purpose: string,
    recipient: string,
    code: unknown,
    accept?: (user: UserCredentials) => Promise<void>,
  ): Promise<UserCredentials> {
    if (typeof code !== "string") throw authError("bad_request", "code must be a string");
    let holder: UserCredentials | undefined;
    try {
      await deps.codes.verifyCode(recipient, code, { purpose }, async () => {
        holder = await store("read a user", () => credentials.findByRecipient(recipient));
        // The recipient was detached since the code was sent.
        if (!holder) throw noValidCode();
        await accept?.(holder);
      });
    } catch (error) {
      throw isImError(error) && error.code === "unauthorized" ? noValidCode() : error;
    }
    if (!holder) throw noValidCode();
    return holder;
  }

  return {
    async requestRecipientCode(userId, recipientInput, context) {
      const recipient = normaliseRecipient(recipientInput);
      const purpose = recipientPurpose(userId);
      // Per asking user: another user asking for this recipient does not use this budget up.
      await limitRequest(recipient, purpose, context.ip);
      // Sent even when another account holds it: confirming tells, once the code proved ownership.
      return deps.codes.sendCode(recipient, { purpose });
    },

    async confirmRecipient(userId, recipientInput, code) {
      const recipient = normaliseRecipient(recipientInput);
      if (typeof code !== "string") throw authError("bad_request", "code must be a string");
      await deps.codes.verifyCode(recipient, code, { purpose: recipientPurpose(userId) });
      const updated = await store("attach a recipient", () =>
        credentials.setRecipient(userId, recipient),
      );
      if (!updated) throw authError("unauthorized", "unknown user");
      return { recipient };
    },

    async removeRecipient(userId) {
      await store("detach a recipient", () => credentials.setRecipient(userId, null));
    },

    async getRecipient(userId) {
      const user = await store("read a user", () => credentials.findById(userId));
      return user?.recipient;
    },

    requestPasswordReset: (recipient, context) => requestFor(RESET_PURPOSE, recipient, context),

    async resetPassword(recipientInput, code, newPasswordInput, context) {
      const recipient = normaliseRecipient(recipientInput);
      // Nothing before the code check tells whether an account holds the recipient:
      // the per-IP check limit counts every call first; then the rules that need no
      // account (length, common passwords), alike for everyone and before the code
      // is touched (a refused password keeps it and its attempts).
      await limitCheck(context.ip);
      const newPassword = await deps.passwordPolicy.check(newPasswordInput);
      // The rule that needs the account (no username in the password) once the code
      // matched and before it is consumed: a refusal keeps the code, one attempt spent.
      const user = await checkCode(RESET_PURPOSE, recipient, code, (holder) =>
        deps.passwordPolicy.check(newPassword, holder.username).then(() => undefined),
      );
      const hash = await deps.hasher.hash(
        newPassword,
        context.ip ? { key: addressLimitKey(context.ip) } : {},
      );
      const updated = await store("update a password", () =>
        credentials.setPasswordHash(user.userId, hash, { revokeTokens: true }),
      );
      if (!updated) throw noValidCode();
      await store("revoke refresh tokens", () => deps.refreshTokens.revokeUser(user.userId, now()));
      await deps.revoked(user.userId, "password_reset");
      return deps.issue(updated, context);
    },

    requestLoginCode: (recipient, context) => requestFor(LOGIN_PURPOSE, recipient, context),

    async loginWithCode(recipientInput, code, context) {
      const recipient = normaliseRecipient(recipientInput);
      await limitCheck(context.ip);
      const user = await checkCode(LOGIN_PURPOSE, recipient, code);
      return deps.issue(user, context);
    },
  };
}
