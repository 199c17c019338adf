/**
 * A refresh token family: the chain of refresh tokens that one login started,
 * each rotation adding one. Revoking the family refuses every token of it.
 */
export interface RefreshFamily {
  /** Identifies one login's chain of refresh tokens; revoking it logs that device out. */
  familyId: string;
  /** The user who logged in. */
  userId: string;
  /** The device that logged in, when known; carried into every access token of the family. */
  deviceId?: string;
  /** The kind of device that logged in (`mobile`, `desktop`, ...), carried into every access token as `dcl`. */
  deviceClass?: string;
}

/** A new refresh token, as the store records it (never the token itself). */
export interface RefreshTokenRecord {
  /** SHA-256 of the token, base64url: the store never sees the token. */
  tokenHash: string;
  /** When the token expires (ms since epoch). */
  expiresAt: number;
}

/** The outcome of {@link RefreshTokenStore.rotate}. */
export type RotateResult =
  /** The token was current: it is now used, and the next one belongs to `family`. */
  | {
      /** The token was current and is now used. */
      status: "rotated";
      /** The family the successor token joins. */
      family: RefreshFamily;
    }
  /**
   * The token was rotated less than {@link RotateOptions.reuseIntervalMs} ago
   * (a retried or concurrent refresh): nothing changed, and `sealedSuccessor`
   * is the one stored by that rotation.
   */
  | {
      /** A retry within the reuse interval: nothing changed. */
      status: "replayed";
      /** The family of the token. */
      family: RefreshFamily;
      /** The successor token issued by the earlier rotation, sealed as the store keeps it. */
      sealedSuccessor: string;
    }
  /** The token had already been rotated (longer ago): the store revoked its whole family. */
  | {
      /** A token rotated too long ago came back: the family is revoked. */
      status: "reused";
      /** The family that was revoked. */
      family: RefreshFamily;
    }
  /** Unknown, expired, or of a revoked family. */
  | {
      /** Nothing to rotate: the token is unknown, expired or of a revoked family. */
      status: "invalid";
    };

/** Options of {@link RefreshTokenStore.rotate}. */
export interface RotateOptions {
  /**
   * For this many ms after a token was rotated, presenting it again is a
   * `replayed` (answered with the same successor) rather than a `reused`.
   * 0 makes every second presentation a reuse.
   */
  reuseIntervalMs: number;
  /**
   * The new token sealed with a key that only the presented token yields,
   * kept with the used token so that a replay can hand out the same successor
   * (the store itself cannot open it).
   */
  sealedSuccessor: string;
}

/**
 * Where refresh tokens and their families live. Implementations:
 * `createMemoryRefreshTokenStore`, `createPostgresRefreshTokenStore`.
 */
export interface RefreshTokenStore {
  /** Starts a family (a login) with its first token. */
  createFamily(family: RefreshFamily, token: RefreshTokenRecord, now: number): Promise<void>;
  /**
   * Atomically: when `tokenHash` is a current token (unused, unexpired at
   * `now`, its family not revoked), marks it used, keeps `options.sealedSuccessor`
   * with it, and adds `next` to its family (`rotated`). When it was used less
   * than `options.reuseIntervalMs` before `now`, changes nothing and answers
   * `replayed` with the kept successor. When it was used earlier, revokes the
   * family (`reused`): the tokens of that family, the newest included, MUST be
   * refused from then on. Two concurrent rotations of one token MUST NOT both
   * succeed (the later ones see `replayed` or `reused`).
   * Without `options`: no reuse interval, nothing kept.
   */
  rotate(
    tokenHash: string,
    next: RefreshTokenRecord,
    now: number,
    options?: RotateOptions,
  ): Promise<RotateResult>;
  /**
   * Revokes the family that holds `tokenHash`; resolves with it, or undefined if
   * unknown. With `userId`, only a family of that user is revoked (undefined otherwise).
   */
  revokeByToken(
    tokenHash: string,
    now: number,
    userId?: string,
  ): Promise<RefreshFamily | undefined>;
  /** Revokes every family of the user (log out everywhere, password change). */
  revokeUser(userId: string, now: number): Promise<void>;
  /** Deletes tokens expired before `now` and families left without a live token. Resolves with the number of tokens deleted. */
  purgeExpired(now: number): Promise<number>;
}
