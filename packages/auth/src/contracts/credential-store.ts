/** A user's login credentials, as a {@link CredentialStore} keeps them. */
export interface UserCredentials {
  /** The user id: the `sub` of the user's tokens. */
  userId: string;
  /** The login name; unique across users. */
  username: string;
  /** A self-describing password hash (see `createPasswordHasher`). */
  passwordHash: string;
  /**
   * The user's token version: the `ver` claim of the access tokens issued to
   * the user. Incrementing it revokes every access token issued before.
   */
  tokenVersion: number;
  /**
   * The verified e-mail address or phone number attached to the account
   * (normalised: trimmed, lower-cased), where password-reset and login codes
   * go; absent when none is attached. Unique across users.
   */
  recipient?: string;
}

/**
 * Where user credentials live. Implementations: `createMemoryCredentialStore`,
 * `createPostgresCredentialStore`.
 */
export interface CredentialStore {
  /**
   * Inserts a user with `tokenVersion` 0. MUST reject with
   * `ImError("conflict")` when the username (or the user id) is taken.
   */
  create(user: {
    userId: string;
    username: string;
    passwordHash: string;
  }): Promise<UserCredentials>;
  /** The user with this username, or undefined. */
  findByUsername(username: string): Promise<UserCredentials | undefined>;
  /** The user with this id, or undefined. */
  findById(userId: string): Promise<UserCredentials | undefined>;
  /**
   * The user's current token version, or undefined for an unknown user. On
   * the hot path of every authentication (behind a cache): keep it cheap.
   */
  getTokenVersion(userId: string): Promise<number | undefined>;
  /**
   * Replaces the password hash, in one atomic step with the options. Resolves
   * with the updated credentials, or undefined for an unknown user or when
   * `ifPasswordHash` did not match.
   */
  setPasswordHash(
    userId: string,
    passwordHash: string,
    options?: {
      /** Also increment the token version (revokes the user's access tokens). */
      revokeTokens?: boolean;
      /** Only update when the current hash is this one (a rehash must not undo a password change). */
      ifPasswordHash?: string;
    },
  ): Promise<UserCredentials | undefined>;
  /** The user whose verified recipient is `recipient` (normalised), or undefined. */
  findByRecipient(recipient: string): Promise<UserCredentials | undefined>;
  /**
   * Attaches a verified recipient to the user (`null` removes it). Resolves with
   * the updated credentials, or undefined for an unknown user. MUST reject with
   * `ImError("conflict")` when another user holds that recipient.
   */
  setRecipient(userId: string, recipient: string | null): Promise<UserCredentials | undefined>;
  /** Increments the token version and resolves with the new one (undefined: unknown user). */
  incrementTokenVersion(userId: string): Promise<number | undefined>;
}
