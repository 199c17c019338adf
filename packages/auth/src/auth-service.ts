import { createHash, randomBytes } from "node:crypto";
import {
  addressLimitKey,
  type BackgroundErrorHandler,
  consoleBackgroundErrors,
  isImError,
  newId,
  reportBackgroundError,
} from "@lucky-im/core";
import { SignJWT } from "jose";
import {
  type AccountRecoveryOptions,
  type CodeRequestResult,
  createAccountRecovery,
} from "./account-recovery.js";
import type { CodeSender } from "./contracts/code-sender.js";
import type { CodeStore } from "./contracts/code-store.js";
import type { CredentialStore, UserCredentials } from "./contracts/credential-store.js";
import type { LoginChallengeStore } from "./contracts/login-challenge-store.js";
import type { RefreshFamily, RefreshTokenStore } from "./contracts/refresh-token-store.js";
import { createEncryptionKeyRing, type EncryptionKeyRing } from "./encryption-key-ring.js";
import type { AccountDeps } from "./internal/account-deps.js";
import { authError, wrapError } from "./internal/errors.js";
import { enforce } from "./internal/limits.js";
import { type JwtSigningKey, resolveSigningKey } from "./internal/signing-key.js";
import { openSuccessor, sealSuccessor } from "./internal/successor-seal.js";
import type { Jwk } from "./jwk.js";
import { createJwtAuthenticator, type JwtAuthenticator } from "./jwt-authenticator.js";
import { createLoginBackoff, type LoginBackoffOptions } from "./login-backoff.js";
import { createMemoryCodeStore } from "./memory/memory-code-store.js";
import { createMemoryLoginChallengeStore } from "./memory/memory-login-challenge-store.js";
import { createPasswordHasher, type PasswordHasher } from "./password-hasher.js";
import { createPasswordPolicy } from "./password-policy.js";
import {
  createQrLogin,
  type LoginChallengePoll,
  type LoginChallengeTicket,
  type LoginChallengeView,
  type QrLoginOptions,
} from "./qr-login.js";
import { inMemoryRateLimits, type RateLimit, type RateLimiterFactory } from "./rate-limits.js";
import { normalizeUsername } from "./username-policy.js";
import {
  type CodeOptions,
  createCodeChecks,
  type VerificationCodesOptions,
} from "./verification-codes.js";

export type { JwtSigningKey } from "./internal/signing-key.js";

/** Why tokens were revoked (see {@link AuthServiceOptions.onRevoke}). */
export interface RevokeEvent {
  /** The user whose tokens were revoked. */
  userId: string;
  /**
   * `logout`: one device logged out; `logout_all`: log out everywhere;
   * `password_change`; `password_reset`: the password was reset with a code
   * (every session of the user ends); `refresh_reuse`: an already rotated
   * refresh token came back (a stolen token, or a client that lost the newer one).
   */
  reason: "logout" | "logout_all" | "password_change" | "password_reset" | "refresh_reuse";
}

/** Options of {@link createAuthService}. */
export interface AuthServiceOptions {
  /** Users and their password hashes and token versions. */
  credentials: CredentialStore;
  /** Refresh tokens and their families. */
  refreshTokens: RefreshTokenStore;
  /** The key access tokens are signed with (and verified by `authenticator`). */
  signingKey: JwtSigningKey;
  /** The `iss` of issued tokens, and the only one accepted. */
  issuer: string;
  /** The `aud` of issued tokens, and the only one accepted. */
  audience: string;
  /**
   * The RSA-OAEP-256 keys clients encrypt passwords to.
   * @default createEncryptionKeyRing() (a key generated per process: pass shared keys to run several nodes)
   */
  encryptionKeys?: EncryptionKeyRing;
  /**
   * Verification codes store.
   * @default an in-memory store
   */
  codes?: CodeStore;
  /**
   * Delivers verification codes.
   * @default createLoggingCodeSender() (development only)
   */
  codeSender?: CodeSender;
  /**
   * The other options of the verification codes (secret, life, attempts, limits).
   * @default {} (see `VerificationCodesOptions`)
   */
  codeOptions?: Omit<VerificationCodesOptions, "store" | "sender" | "now" | "rateLimiter">;
  /**
   * QR login challenges.
   * @default an in-memory store (one process only)
   */
  challenges?: LoginChallengeStore;
  /**
   * Limits of password reset and login by code (code requests per recipient
   * and per IP, code checks per IP).
   * @default {} (see `AccountRecoveryOptions`)
   */
  recoveryOptions?: AccountRecoveryOptions;
  /**
   * QR login: challenge life, limits, waiting polls.
   * @default {} (see `QrLoginOptions`)
   */
  qrLoginOptions?: QrLoginOptions;
  /**
   * Hashes passwords.
   * @default createPasswordHasher() (scrypt N=2^17, r=8, p=1)
   */
  passwordHasher?: PasswordHasher;
  /**
   * Life of an access token, in seconds.
   * @default 900 (15 minutes)
   */
  accessTokenTtlSec?: number;
  /**
   * Life of a refresh token, in seconds; each rotation starts a new one.
   * @default 2592000 (30 days)
   */
  refreshTokenTtlSec?: number;
  /**
   * For this long after a refresh token was rotated, presenting it again
   * answers with the same successor (a retried or concurrent refresh) instead
   * of revoking its family as a reuse; 0 turns the interval off.
   * @default 10000 (10 seconds)
   */
  refreshReuseIntervalMs?: number;
  /**
   * Clock skew tolerated on `exp` and `nbf`, in seconds.
   * @default 5
   */
  clockToleranceSec?: number;
  /**
   * How long the authenticator caches a user's token version, in ms.
   * @default 5000
   */
  versionCacheTtlMs?: number;
  /**
   * Password changes per user. Logins have no per-user limit (anyone could lock
   * a user out with it): see {@link loginBackoff}.
   * @default { points: 10, durationMs: 300000 }
   */
  loginLimitPerUser?: RateLimit;
  /**
   * Login attempts per client IP.
   * @default { points: 10, durationMs: 300000 }
   */
  loginLimitPerIp?: RateLimit;
  /**
   * Exponential backoff of wrong passwords per (username, client IP). Only
   * attempts that cost a password hash count.
   * @default { freeFailures: 5, baseDelayMs: 1000, maxDelayMs: 900000, memoryMs: 3600000 }
   */
  loginBackoff?: LoginBackoffOptions;
  /**
   * Username lookups ({@link AuthService.findUserByUsername}) per user who asks.
   * @default { points: 30, durationMs: 60000 }
   */
  lookupLimitPerUser?: RateLimit;
  /**
   * Username lookups per client IP.
   * @default { points: 60, durationMs: 60000 }
   */
  lookupLimitPerIp?: RateLimit;
  /**
   * Makes the rate limiters (names `auth_login_user`, `auth_login_ip`,
   * `auth_login_failures`, `auth_login_backoff_<n>`, `auth_lookup_user`,
   * `auth_lookup_ip`, `auth_code_recipient`, `auth_code_ip`, `auth_recovery_recipient`,
   * `auth_recovery_ip`, `auth_recovery_check_ip`, `auth_qr_create_ip`, `auth_qr_poll`,
   * `auth_qr_decide_user`); pass a Redis-backed one to share
   * budgets between nodes.
   * @default in-memory limiters (core's `createMemoryRateLimiter`, one per budget)
   */
  rateLimiter?: RateLimiterFactory;
  /**
   * Shortest password accepted at registration and change.
   * @default 8
   */
  minPasswordLength?: number;
  /**
   * Longest password accepted.
   * @default 1024
   */
  maxPasswordLength?: number;
  /**
   * Passwords refused at registration and change whatever their length
   * (compared ignoring case); `false` refuses none. Passwords equal to or
   * containing the username are refused either way.
   * @default the ~49,000 most common passwords of `@zxcvbn-ts/language-common`
   */
  commonPasswords?: Iterable<string> | false;
  /**
   * Longest username accepted (after NFKC normalization). Usernames are
   * normalized at registration, login and lookup, and refused when they hold
   * invisible or text-direction characters or mix scripts (see `normalizeUsername`).
   * @default 64
   */
  maxUsernameLength?: number;
  /**
   * Makes the id of a new user.
   * @default () => newId("u")
   */
  generateUserId?: () => string;
  /**
   * Whether the user is barred from getting tokens (suspended or banned by an admin):
   * checked before every token is issued or refreshed (password login, login by code,
   * QR login, password reset and change, `issueTokens`, `refresh`), which are then refused
   * with `forbidden` ("this account is suspended"). A refused refresh revokes its
   * family, so the token stays dead once the suspension is lifted. Issuing checks again
   * after the refresh family is stored, so a login racing a suspension does not keep a
   * live refresh token. Wire it to the engine: `(id) => im.admin.suspensionOf(id).then(Boolean)`.
   * A rejection fails the call (no token is issued when the answer is unknown).
   * @default none: nobody is barred
   */
  isSuspended?: (userId: string) => boolean | Promise<boolean>;
  /**
   * Called after tokens of a user were revoked: close the user's live sessions
   * there (for example `engine.kick(userId, 4401)`); clients refresh and
   * reconnect. Errors go to `onError`.
   */
  onRevoke?: (event: RevokeEvent) => void | Promise<void>;
  /**
   * How often expired refresh tokens, verification codes and login challenges are deleted, in ms; 0 never
   * (then call the stores' `purgeExpired` yourself). The timer does not keep the process alive.
   * @default 3600000 (one hour)
   */
  purgeIntervalMs?: number;
  /**
   * Receives errors that do not fail the call, as an `ImError` (anything else wrapped as
   * `internal`, the original as `cause`) and what failed: `"onRevoke"`, `"rehashing a
   * password"`, `"sending a code"` (recovery and login codes are sent in the background),
   * `"purging expired tokens and codes"` (the purge timer), `"closing the password hasher"`.
   * @default console.error
   */
  onError?: BackgroundErrorHandler;
  /**
   * The clock, in ms since epoch.
   * @default Date.now
   */
  now?: () => number;
}

/** Tokens handed to a client after login or refresh. */
export interface TokenPair {
  /** The user the tokens were issued to. */
  userId: string;
  /** A JWT for `Authorization: Bearer` and the WebSocket `auth` frame. */
  accessToken: string;
  /** An opaque token for `refresh`; single use. */
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  /** Seconds until the refresh token expires. */
  refreshExpiresIn: number;
}

/** Password or encrypted password login. */
export type LoginCredentials =
  | {
      /** The username; normalized (NFKC) the way registration stored it. */
      username: string;
      /** The password in plain text (over TLS only). */
      password: string;
    }
  | {
      /** The username; normalized (NFKC) the way registration stored it. */
      username: string;
      /** A compact JWE of the UTF-8 password, encrypted to {@link AuthService.publicJwk}. */
      passwordJwe: string;
    };

/** Who is logging in from where. */
export interface LoginContext {
  /** The client IP, for the per-IP limit (none applied without it). */
  ip?: string;
  /** Goes into the tokens as `did` and comes back as `Principal.deviceId`. */
  deviceId?: string;
  /** Goes into the tokens as `dcl` and comes back as `Principal.deviceClass`. */
  deviceClass?: string;
}

/** Who looks a username up, for the lookup limits. */
export interface LookupContext {
  /** The user who asks. */
  userId?: string;
  /** The client IP. */
  ip?: string;
}

/** The auth facade: registration, login, refresh, logout, codes, and the authenticator. */
export interface AuthService {
  /** Verifies access tokens (give it to the engine and the transport). */
  readonly authenticator: JwtAuthenticator;
  /**
   * Creates a user. Rejects with `conflict` when the username is taken, `bad_request` for bad
   * input. `context.ip` puts its password hash under the per-address cap of the hash pool.
   */
  register(
    username: string,
    password: string,
    context?: { ip?: string },
  ): Promise<{
    /** The new user's id, generated by the service. */
    userId: string;
  }>;
  /**
   * Checks a password (plain or as a JWE) and issues tokens. Rejects with
   * `unauthorized` for a wrong username or password (the same answer and about
   * the same time for both), `rate_limited` past a limit.
   */
  login(credentials: LoginCredentials, context?: LoginContext): Promise<TokenPair>;
  /**
   * Exchanges a refresh token for new tokens; the old refresh token is used up.
   * Presenting it again within `refreshReuseIntervalMs` answers with the same
   * new refresh token (and a fresh access token); later, it revokes its family
   * and the user's access tokens.
   */
  refresh(refreshToken: string): Promise<TokenPair>;
  /**
   * `{ refreshToken }`: logs that device out (its refresh family); with
   * `userId` too, only when the token is that user's (the caller is
   * authenticated as `userId`). `{ userId }`: logs the user out everywhere.
   * Both refuse the user's access tokens issued before (other devices
   * refresh). Resolves true when something was revoked: unknown tokens and
   * other users' tokens are ignored (false).
   */
  logout(target: { refreshToken: string; userId?: string } | { userId: string }): Promise<boolean>;
  /**
   * Changes the password after checking the old one; revokes every token of
   * the user and resolves with fresh tokens for the caller.
   */
  changePassword(
    userId: string,
    oldPassword: string,
    newPassword: string,
    context?: LoginContext,
  ): Promise<TokenPair>;
  /** Issues tokens to a user the host authenticated itself (for example with a verification code). */
  issueTokens(userId: string, context?: LoginContext): Promise<TokenPair>;
  /** The user's id and username, or undefined; `bad_request` for an id with control characters. */
  getUser(userId: string): Promise<
    | {
        /** The user's stable id (what tokens and the engine name the user by). */
        userId: string;
        /** The user's current username. */
        username: string;
      }
    | undefined
  >;
  /**
   * The user with this username (to find people to chat with), or undefined.
   * With a context, lookups are limited per asking user and per IP (`rate_limited`),
   * so that usernames cannot be enumerated.
   */
  findUserByUsername(
    username: string,
    context?: LookupContext,
  ): Promise<
    | {
        /** The user's stable id (what tokens and the engine name the user by). */
        userId: string;
        /** The user's username as stored. */
        username: string;
      }
    | undefined
  >;
  /** The public JWK to encrypt passwords to (`GET /auth/public-key`). */
  publicJwk(): Promise<Jwk>;
  /** Sends a verification code (see `VerificationCodes.send`). */
  sendCode(
    recipient: string,
    options?: CodeOptions,
  ): Promise<{
    /** When the code stops being accepted, in epoch milliseconds. */
    expiresAt: number;
  }>;
  /** Checks and consumes a verification code (see `VerificationCodes.verify`). */
  verifyCode(recipient: string, code: string, options?: CodeOptions): Promise<void>;
  /**
   * Sends a code to `recipient` to attach it to the signed-in user's account
   * (a code only this user's {@link confirmRecipient} accepts). Rejects with
   * `bad_request` for something that is neither an e-mail address nor a phone
   * number, `rate_limited` past a limit.
   */
  requestRecipientCode(
    userId: string,
    recipient: string,
    context?: { ip?: string },
  ): Promise<CodeRequestResult>;
  /**
   * Checks the code and attaches the recipient to the user, replacing the one
   * attached before: password reset and login codes go there from then on.
   * Rejects with `unauthorized` for a wrong, expired or used code, `conflict`
   * when another account holds the recipient.
   */
  confirmRecipient(
    userId: string,
    recipient: string,
    code: string,
  ): Promise<{
    /** The recipient as stored (normalised). */
    recipient: string;
  }>;
  /** Detaches the user's recipient (no reset or login codes any more). */
  removeRecipient(userId: string): Promise<void>;
  /** The user's verified recipient, or undefined. Only for the user itself: it is private. */
  getRecipient(userId: string): Promise<string | undefined>;
  /**
   * Sends a password reset code to the recipient when an account holds it.
   * Answers the same, at about the same time, whether or not one does (no
   * account enumeration); `rate_limited` past a limit (counted either way).
   */
  requestPasswordReset(recipient: string, context?: { ip?: string }): Promise<CodeRequestResult>;
  /**
   * Checks the reset code and sets the new password; every token and session
   * of the user is revoked (`onRevoke` with `password_reset`), and this device
   * gets fresh tokens.
   *
   * Until a valid code is given every answer is the same whether or not an
   * account holds the recipient (no account enumeration): each call counts
   * against the per-IP check limit first (`rate_limited`), then the password
   * rules that need no account (length, common passwords) refuse with
   * `bad_request` without touching the code, then any wrong, expired, used or
   * exhausted code (or no account) is the same `unauthorized`. Only once the
   * code matched is the account read and the rule that needs it checked (the
   * password must not contain the username): that refusal is `bad_request` and
   * keeps the code, at the cost of one of its attempts, so the user retries
   * with another password.
   */
  resetPassword(
    recipient: string,
    code: string,
    newPassword: string,
    context?: LoginContext,
  ): Promise<TokenPair>;
  /** Sends a login code to the recipient when an account holds it; answers like {@link requestPasswordReset}. */
  requestLoginCode(recipient: string, context?: { ip?: string }): Promise<CodeRequestResult>;
  /**
   * Logs in with a login code: `rate_limited` past the per-IP check limit, then
   * one same `unauthorized` for a wrong, expired, used or exhausted code, or a
   * recipient no account holds.
   */
  loginWithCode(recipient: string, code: string, context?: LoginContext): Promise<TokenPair>;
  /**
   * QR login, on the new device: makes a challenge to show as a QR code (its
   * `challengeId`), keeps its `secret`, then polls with
   * {@link pollLoginChallenge}. `bad_request` for a description over the limit,
   * `rate_limited` past the per-IP limit.
   */
  createLoginChallenge(context?: {
    /** What the device is ("Firefox on Linux"), shown to the approving user. */
    description?: string;
    /** The device's IP address: limits, and shown to the approving user. */
    ip?: string;
    /** Goes into the tokens as `did`. */
    deviceId?: string;
    /** Goes into the tokens as `dcl`. */
    deviceClass?: string;
  }): Promise<LoginChallengeTicket>;
  /** QR login, on the signed-in device: what the challenge is, before deciding (`not_found` when unknown or expired). */
  getLoginChallenge(userId: string, challengeId: string): Promise<LoginChallengeView>;
  /**
   * QR login, on the signed-in device: approves the challenge, so that the new
   * device gets tokens of `userId`. `not_found` when unknown or expired,
   * `conflict` when already approved, declined or used.
   */
  approveLoginChallenge(userId: string, challengeId: string): Promise<LoginChallengeView>;
  /** QR login: declines the challenge (the new device's poll answers `declined`). Errors as {@link approveLoginChallenge}. */
  declineLoginChallenge(userId: string, challengeId: string): Promise<LoginChallengeView>;
  /**
   * QR login, on the new device: the challenge's state, waiting up to
   * `waitMs` for a decision. Once approved it answers the tokens, once only
   * (later polls: `conflict`). `not_found` for an unknown or expired challenge
   * or a wrong secret, counted per client address (`rate_limited` past
   * `qrLoginOptions.pollFailureLimitPerIp`); the secret is checked first, so
   * only its holder spends the per-challenge poll budget (`rate_limited` past
   * `qrLoginOptions.pollLimitPerChallenge`).
   */
  pollLoginChallenge(
    challengeId: string,
    secret: string,
    options?: {
      /** How long to wait for a decision, in ms (cut to `qrLoginOptions.maxWaitMs`). */
      waitMs?: number;
      /** Ends the wait early (the client went away). */
      signal?: AbortSignal;
      /** The client's IP: failed polls are limited per address (none applied without it). */
      ip?: string;
    },
  ): Promise<LoginChallengePoll>;
  /** Stops the purge timer. The stores are the caller's to close. Idempotent. */
  close(): void;
}

const sha256 = (token: string) => createHash("sha256").update(token).digest("base64url");

/**
 * The auth facade the example server uses.
 *
 * @example
 * ```ts
 * const auth = createAuthService({
 *   ...createPostgresAuthStores(pool, { schema: "chat" }),
 *   signingKey: { secret: process.env.JWT_SECRET! },
 *   issuer: "https://chat.example.com",
 *   audience: "chat",
 *   onRevoke: ({ userId }) => engine.kick(userId, 4401),
 * });
 * const tokens = await auth.login({ username, passwordJwe }, { ip });
 * const principal = await auth.authenticator.authenticate(tokens.accessToken);
 * ```
 */
export function createAuthService(options: AuthServiceOptions): AuthService {
  const { credentials, refreshTokens, issuer, audience } = options;
  const now = options.now ?? Date.now;
  const signing = resolveSigningKey(options.signingKey);
  const hasher = options.passwordHasher ?? createPasswordHasher();
  const keys = options.encryptionKeys ?? createEncryptionKeyRing({ now });
  const accessTtl = options.accessTokenTtlSec ?? 900;
  const refreshTtl = options.refreshTokenTtlSec ?? 2_592_000;
  const reuseIntervalMs = options.refreshReuseIntervalMs ?? 10_000;
  const minPassword = options.minPasswordLength ?? 8;
  const maxPassword = options.maxPasswordLength ?? 1024;
  const maxUsername = options.maxUsernameLength ?? 64;
  const passwordPolicy = createPasswordPolicy({
    minLength: minPassword,
    maxLength: maxPassword,
    ...(options.commonPasswords === undefined ? {} : { commonPasswords: options.commonPasswords }),
  });
  const generateUserId = options.generateUserId ?? (() => newId("u"));
  const errorHandler = options.onError ?? consoleBackgroundErrors("auth");
  const onError = (error: unknown, context: string) =>
    reportBackgroundError(errorHandler, error, context);
  const factory = options.rateLimiter ?? inMemoryRateLimits;
  const loginDefault = { points: 10, durationMs: 300_000 };
  const byUser = factory({
    name: "auth_login_user",
    ...(options.loginLimitPerUser ?? loginDefault),
  });
  const byIp = factory({ name: "auth_login_ip", ...(options.loginLimitPerIp ?? loginDefault) });
  const backoff = createLoginBackoff(factory, options.loginBackoff);
  const lookupsByUser = factory({
    name: "auth_lookup_user",
    ...(options.lookupLimitPerUser ?? { points: 30, durationMs: 60_000 }),
  });
  const lookupsByIp = factory({
    name: "auth_lookup_ip",
    ...(options.lookupLimitPerIp ?? { points: 60, durationMs: 60_000 }),
  });
  const codeStore = options.codes ?? createMemoryCodeStore();
  const challengeStore = options.challenges ?? createMemoryLoginChallengeStore();
  const codes = createCodeChecks({
    ...options.codeOptions,
    store: codeStore,
    ...(options.codeSender ? { sender: options.codeSender } : {}),
    rateLimiter: factory,
    now,
  });
  const authenticator = createJwtAuthenticator({
    key: signing.verification,
    algorithms: [signing.alg],
    issuer,
    audience,
    clockToleranceSec: options.clockToleranceSec ?? 5,
    tokenVersions: credentials,
    versionCacheTtlMs: options.versionCacheTtlMs ?? 5_000,
    now,
  });

  // Expired refresh tokens and codes would otherwise pile up (for ever, in memory).
  const purgeIntervalMs = options.purgeIntervalMs ?? 3_600_000;
  const purgeTimer =
    purgeIntervalMs > 0
      ? setInterval(() => {
          const at = now();
          Promise.all([
            refreshTokens.purgeExpired(at),
            codeStore.purgeExpired(at),
            challengeStore.purgeExpired(at),
          ]).catch((error: unknown) => onError(error, "purging expired tokens and codes"));
        }, purgeIntervalMs)
      : undefined;
  purgeTimer?.unref?.();

  // Checked against unknown usernames so that they cost as much as known ones.
  let dummyHash: Promise<string> | undefined;
  const dummy = () => {
    // A refusal (the hash pool was full) is not kept: the next unknown login tries again.
    dummyHash ??= hasher.hash(randomBytes(16).toString("hex")).catch((error: unknown) => {
      dummyHash = undefined;
      throw error;
    });
    return dummyHash;
  };

  // NFKC, no controls (NUL above all: PostgreSQL refuses it), no invisible or bidi
  // characters, no mixed scripts: one spelling per name that looks the same.
  const checkUsername = (username: unknown): string => normalizeUsername(username, maxUsername);
  // A stored id never holds one; PostgreSQL would refuse NUL with a 503-looking failure.
  const checkUserId = (userId: string): void => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
    if (/[\u0000-\u001f\u007f]/.test(userId)) {
      throw authError("bad_request", "userId must not contain control characters");
    }
  };
  const checkPassword = (password: unknown, min: number): string => {
    if (typeof password !== "string" || password.length < min || password.length > maxPassword) {
      throw authError("bad_request", `password must be ${min} to ${maxPassword} characters`);
    }
    return password;
  };

  async function store<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (error) {
      throw wrapError(error, "unavailable", `cannot ${what}`);
    }
  }

  async function accessToken(
    user: UserCredentials,
    device: Omit<RefreshFamily, "familyId" | "userId">,
  ) {
    const iat = Math.floor(now() / 1000);
    const claims: Record<string, unknown> = { ver: user.tokenVersion };
    if (device.deviceId !== undefined) claims.did = device.deviceId;
    if (device.deviceClass !== undefined) claims.dcl = device.deviceClass;
    const header =
      signing.kid === undefined
        ? { alg: signing.alg, typ: "JWT" }
        : { alg: signing.alg, typ: "JWT", kid: signing.kid };
    return new SignJWT(claims)
      .setProtectedHeader(header)
      .setSubject(user.userId)
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + accessTtl)
      .sign(signing.key);
  }

  function newRefreshToken() {
    const token = randomBytes(32).toString("base64url");
    return { token, record: { tokenHash: sha256(token), expiresAt: now() + refreshTtl * 1000 } };
  }

  async function pair(user: UserCredentials, refreshToken: string, family: RefreshFamily) {
    return {
      userId: user.userId,
      accessToken: await accessToken(user, family),
      refreshToken,
      expiresIn: accessTtl,
      refreshExpiresIn: refreshTtl,
    };
  }

  /** Refuses a suspended user (`isSuspended`) with `forbidden`, revoking `tokenHash`'s family first. */
  async function refuseIfSuspended(userId: string, tokenHash?: string): Promise<void> {
    if (!options.isSuspended || !(await options.isSuspended(userId))) return;
    if (tokenHash !== undefined) {
      await store("revoke a refresh token", () => refreshTokens.revokeByToken(tokenHash, now()));
    }
    throw authError("forbidden", "this account is suspended");
  }

  async function issue(user: UserCredentials, context: LoginContext): Promise<TokenPair> {
    await refuseIfSuspended(user.userId);
    const family: RefreshFamily = { familyId: newId("rf"), userId: user.userId };
    if (typeof context.deviceId === "string") family.deviceId = context.deviceId;
    if (typeof context.deviceClass === "string") family.deviceClass = context.deviceClass;
    const { token, record } = newRefreshToken();
    await store("store a refresh token", () => refreshTokens.createFamily(family, record, now()));
    // Again once stored: a suspension (and its revocation of the user's tokens) that landed
    // meanwhile would otherwise miss this family.
    await refuseIfSuspended(user.userId, record.tokenHash);
    return pair(user, token, family);
  }

  async function revoked(userId: string, reason: RevokeEvent["reason"], bump: boolean) {
    if (bump) await store("revoke tokens", () => credentials.incrementTokenVersion(userId));
    authenticator.invalidate(userId);
    if (!options.onRevoke) return;
    try {
      await options.onRevoke({ userId, reason });
    } catch (error) {
      onError(error, "onRevoke");
    }
  }

  /** The hash pool's per-key cap applies per client address. */
  function hashContextOf(ip: string | undefined): { key?: string } {
    return ip === undefined ? {} : { key: addressLimitKey(ip) };
  }

  async function checkLogin(user: UserCredentials | undefined, password: string, ip?: string) {
    // Unknown users cost a hash too (no timing oracle), on the same bounded pool.
    const ok = await hasher.verify(
      password,
      user?.passwordHash ?? (await dummy()),
      hashContextOf(ip),
    );
    if (!user || !ok) throw authError("unauthorized", "invalid username or password");
  }

  function rehashIfNeeded(user: UserCredentials, password: string) {
    if (!hasher.needsRehash(user.passwordHash)) return;
    // The cost changed since this hash was made: upgrade it now that we know the
    // password, unless the password changed meanwhile.
    hasher
      .hash(password)
      .then((hash) =>
        credentials.setPasswordHash(user.userId, hash, { ifPasswordHash: user.passwordHash }),
      )
      .catch((error: unknown) => onError(error, "rehashing a password"));
  }

  const accountDeps: AccountDeps = {
    credentials,
    refreshTokens,
    hasher,
    passwordPolicy,
    codes: {
      sendCode: (recipient, codeOptions) => codes.send(recipient, codeOptions),
      verifyCode: (recipient, code, codeOptions, beforeConsume) =>
        codes.verify(recipient, code, codeOptions, beforeConsume),
    },
    codeTtlMs: options.codeOptions?.ttlMs ?? 300_000,
    rateLimiter: factory,
    issue,
    revoked: (userId, reason) => revoked(userId, reason, false),
    store,
    onError,
    maxPassword,
    now,
  };
  const recovery = createAccountRecovery(accountDeps, options.recoveryOptions);
  const qr = createQrLogin(accountDeps, challengeStore, options.qrLoginOptions);

  return {
    authenticator,

    async register(usernameInput, passwordInput, context = {}) {
      const username = checkUsername(usernameInput);
      const password = await passwordPolicy.check(passwordInput, username);
      // Every hash a client can cause counts against its address's share of the pool.
      const passwordHash = await hasher.hash(password, hashContextOf(context.ip));
      const userId = generateUserId();
      await store("create a user", () => credentials.create({ userId, username, passwordHash }));
      return { userId };
    },

    async login(input, context = {}) {
      const username = checkUsername(input?.username);
      await enforce(
        [
          [
            byIp,
            context.ip === undefined ? undefined : `auth_login_ip:${addressLimitKey(context.ip)}`,
          ],
        ],
        "login attempts",
      );
      const password =
        "passwordJwe" in input && input.passwordJwe !== undefined
          ? await keys.decrypt(input.passwordJwe)
          : checkPassword((input as { password?: unknown }).password, 1);
      if (password.length > maxPassword) throw authError("bad_request", "password too long");
      // Backoff per (user, IP), counted only once a hash was paid: malformed input costs
      // nothing and locks nobody out, and the user can still log in from elsewhere.
      const pairKey = JSON.stringify([username, context.ip ?? ""]);
      await backoff.check(pairKey);
      const user = await store("read a user", () => credentials.findByUsername(username));
      try {
        await checkLogin(user, password, context.ip);
      } catch (error) {
        if (isImError(error) && error.code === "unauthorized") await backoff.fail(pairKey);
        throw error;
      }
      rehashIfNeeded(user!, password);
      return issue(user!, context);
    },

    async refresh(refreshToken) {
      if (
        typeof refreshToken !== "string" ||
        refreshToken.length === 0 ||
        refreshToken.length > 256
      ) {
        throw authError("unauthorized", "refresh token refused");
      }
      const next = newRefreshToken();
      const rotation = {
        reuseIntervalMs,
        sealedSuccessor: sealSuccessor(refreshToken, next.token),
      };
      const result = await store("rotate a refresh token", () =>
        refreshTokens.rotate(sha256(refreshToken), next.record, now(), rotation),
      );
      if (result.status === "invalid") throw authError("unauthorized", "refresh token refused");
      if (result.status === "replayed") {
        // A retry of a refresh that already succeeded: the same successor, so that
        // every concurrent caller ends up holding the one live token.
        const successor = openSuccessor(refreshToken, result.sealedSuccessor);
        const user = await store("read a user", () => credentials.findById(result.family.userId));
        if (successor === undefined || !user) {
          throw authError("unauthorized", "refresh token refused");
        }
        await refuseIfSuspended(user.userId, sha256(successor));
        return pair(user, successor, result.family);
      }
      if (result.status === "reused") {
        await revoked(result.family.userId, "refresh_reuse", true);
        throw authError(
          "unauthorized",
          "refresh token reused: its family is revoked, log in again",
        );
      }
      const user = await store("read a user", () => credentials.findById(result.family.userId));
      if (!user) {
        await store("revoke a refresh token", () =>
          refreshTokens.revokeByToken(next.record.tokenHash, now()),
        );
        throw authError("unauthorized", "refresh token refused: unknown user");
      }
      // Suspended: the whole family is revoked, so lifting the suspension does not revive it.
      await refuseIfSuspended(user.userId, next.record.tokenHash);
      return pair(user, next.token, result.family);
    },

    async logout(target) {
      if ("refreshToken" in target) {
        if (typeof target.refreshToken !== "string")
          throw authError("bad_request", "refreshToken must be a string");
        const family = await store("revoke a refresh token", () =>
          refreshTokens.revokeByToken(sha256(target.refreshToken), now(), target.userId),
        );
        if (family) await revoked(family.userId, "logout", true);
        return family !== undefined;
      }
      if (typeof target.userId !== "string")
        throw authError("bad_request", "userId must be a string");
      await store("revoke refresh tokens", () => refreshTokens.revokeUser(target.userId, now()));
      await revoked(target.userId, "logout_all", true);
      return true;
    },

    async changePassword(userId, oldPassword, newPasswordInput, context = {}) {
      const newPassword = checkPassword(newPasswordInput, minPassword);
      await enforce([[byUser, `auth_login_user_id:${userId}`]], "password attempts");
      const user = await store("read a user", () => credentials.findById(userId));
      // Before the old password's hash: a refused new password costs nothing.
      if (user) await passwordPolicy.check(newPassword, user.username);
      await checkLogin(user, checkPassword(oldPassword, 1), context.ip);
      const hash = await hasher.hash(newPassword, hashContextOf(context.ip));
      const updated = await store("update a password", () =>
        credentials.setPasswordHash(userId, hash, { revokeTokens: true }),
      );
      if (!updated) throw authError("unauthorized", "unknown user");
      await store("revoke refresh tokens", () => refreshTokens.revokeUser(userId, now()));
      await revoked(userId, "password_change", false);
      return issue(updated, context);
    },

    async issueTokens(userId, context = {}) {
      const user = await store("read a user", () => credentials.findById(userId));
      if (!user) throw authError("unauthorized", "unknown user");
      return issue(user, context);
    },

    async getUser(userId) {
      checkUserId(userId);
      const user = await store("read a user", () => credentials.findById(userId));
      return user && { userId: user.userId, username: user.username };
    },

    async findUserByUsername(input, context = {}) {
      await enforce(
        [
          [lookupsByUser, context.userId === undefined ? undefined : context.userId],
          [lookupsByIp, addressLimitKey(context.ip)],
        ],
        "username lookups",
      );
      let username: string;
      try {
        username = checkUsername(input);
      } catch {
        return undefined; // no user can have a name that is refused
      }
      const user = await store("read a user", () => credentials.findByUsername(username));
      return user && { userId: user.userId, username: user.username };
    },

    publicJwk: () => keys.publicJwk(),
    sendCode: (recipient, codeOptions) => codes.send(recipient, codeOptions),
    verifyCode: (recipient, code, codeOptions) => codes.verify(recipient, code, codeOptions),
    requestRecipientCode: (userId, recipient, context = {}) => {
      checkUserId(userId);
      return recovery.requestRecipientCode(userId, recipient, context);
    },
    confirmRecipient: (userId, recipient, code) => {
      checkUserId(userId);
      return recovery.confirmRecipient(userId, recipient, code);
    },
    removeRecipient: (userId) => recovery.removeRecipient(userId),
    getRecipient: (userId) => recovery.getRecipient(userId),
    requestPasswordReset: (recipient, context = {}) =>
      recovery.requestPasswordReset(recipient, context),
    resetPassword: (recipient, code, newPassword, context = {}) =>
      recovery.resetPassword(recipient, code, newPassword, context),
    requestLoginCode: (recipient, context = {}) => recovery.requestLoginCode(recipient, context),
    loginWithCode: (recipient, code, context = {}) =>
      recovery.loginWithCode(recipient, code, context),
    createLoginChallenge: (context = {}) => qr.create(context),
    getLoginChallenge: (userId, challengeId) => qr.view(userId, challengeId),
    approveLoginChallenge: (userId, challengeId) => qr.decide(userId, challengeId, "approved"),
    declineLoginChallenge: (userId, challengeId) => qr.decide(userId, challengeId, "declined"),
    pollLoginChallenge: (challengeId, secret, pollOptions = {}) =>
      qr.poll(challengeId, secret, pollOptions),
    close: () => {
      clearInterval(purgeTimer);
      // A hasher passed in is the caller's to close, like the stores.
      if (!options.passwordHasher) {
        hasher.close?.().catch((error: unknown) => onError(error, "closing the password hasher"));
      }
    },
  };
}
