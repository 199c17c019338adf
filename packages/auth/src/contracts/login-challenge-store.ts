/**
 * Where a QR login challenge stands: `pending` until a signed-in device
 * approves or declines it, `consumed` once the new device took its tokens.
 */
export type LoginChallengeStatus = "pending" | "approved" | "declined" | "consumed";

/**
 * A QR login challenge: a new device asks for one, shows its id as a QR code,
 * and a signed-in device approves it. The secret stays on the new device: only
 * its hash is kept, and only the secret takes the tokens.
 */
export interface LoginChallenge {
  /** The random id the QR code shows (also what the approving device sends). */
  challengeId: string;
  /** SHA-256 of the new device's secret, base64url: the store never sees the secret. */
  secretHash: string;
  /** Where the challenge stands. */
  status: LoginChallengeStatus;
  /** What the new device says it is ("Firefox on Linux"), shown to the approving user. */
  description: string;
  /** The new device's IP address, shown to the approving user, when known. */
  ip?: string;
  /** Goes into the new device's tokens as `did`, when given. */
  deviceId?: string;
  /** Goes into the new device's tokens as `dcl`, when given. */
  deviceClass?: string;
  /** When the challenge was made (ms since epoch). */
  createdAt: number;
  /** When it stops being usable, whatever its status (ms since epoch). */
  expiresAt: number;
  /** The user who approved or declined it; absent while pending. */
  userId?: string;
}

/**
 * Where QR login challenges live. Every transition is atomic: of two devices
 * approving one challenge, one wins; of two polls, one takes the tokens.
 * Implementations: `createMemoryLoginChallengeStore`,
 * `createPostgresLoginChallengeStore`, `createSqliteLoginChallengeStore`.
 */
export interface LoginChallengeStore {
  /** Stores a new `pending` challenge. MUST reject with `ImError("conflict")` for a taken id. */
  create(challenge: Omit<LoginChallenge, "status" | "userId">): Promise<void>;
  /** The challenge, or undefined when unknown or expired at `now`. */
  get(challengeId: string, now: number): Promise<LoginChallenge | undefined>;
  /**
   * Moves a `pending` challenge, unexpired at `now`, to `decision`, recording
   * `userId`; resolves with the updated challenge, or undefined when it was
   * not pending (or unknown, or expired).
   */
  decide(
    challengeId: string,
    userId: string,
    decision: "approved" | "declined",
    now: number,
  ): Promise<LoginChallenge | undefined>;
  /**
   * Moves an `approved` challenge, unexpired at `now` and whose secret hash is
   * `secretHash`, to `consumed`; resolves with it (its `userId` gets the
   * tokens), or undefined otherwise. Succeeds once per challenge.
   */
  consume(
    challengeId: string,
    secretHash: string,
    now: number,
  ): Promise<LoginChallenge | undefined>;
  /** Deletes challenges expired before `now`; resolves with how many. */
  purgeExpired(now: number): Promise<number>;
}
