/**
 * A refresh token family: the chain of refresh tokens that one login started,
 * each rotation adding one. Revoking the family refuses every token of it.
 */
export interface RefreshFamily {
  familyId: string;
  userId: string;
  /** The device that logged in, when known; carried into every access token of the family. */
  deviceId?: string;
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
  | { status: "rotated"; family: RefreshFamily }
  /** The token had already been rotated: the store revoked its whole family. */
  | { status: "reused"; family: RefreshFamily }
  /** Unknown, expired, or of a revoked family. */
  | { status: "invalid" };

/**
 * Where refresh tokens and their families live. Implementations:
 * `createMemoryRefreshTokenStore`, `createPostgresRefreshTokenStore`.
 */
export interface RefreshTokenStore {
  /** Starts a family (a login) with its first token. */
  createFamily(family: RefreshFamily, token: RefreshTokenRecord, now: number): Promise<void>;
  /**
   * Atomically: when `tokenHash` is a current token (unused, unexpired at
   * `now`, its family not revoked), marks it used and adds `next` to its family
   * (`rotated`). When it was already used, revokes the family (`reused`): the
   * tokens of that family, the newest included, MUST be refused from then on.
   * Two concurrent rotations of one token MUST NOT both succeed.
   */
  rotate(tokenHash: string, next: RefreshTokenRecord, now: number): Promise<RotateResult>;
  /** Revokes the family that holds `tokenHash`; resolves with it, or undefined if unknown. */
  revokeByToken(tokenHash: string, now: number): Promise<RefreshFamily | undefined>;
  /** Revokes every family of the user (log out everywhere, password change). */
  revokeUser(userId: string, now: number): Promise<void>;
  /** Deletes tokens expired before `now` and families left without a live token. Resolves with the number of tokens deleted. */
  purgeExpired(now: number): Promise<number>;
}
