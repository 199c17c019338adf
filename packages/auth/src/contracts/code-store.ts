/** A verification code as a {@link CodeStore} keeps it: hashed, never in clear. */
export interface StoredCode {
  /** Who the code was sent to (an e-mail address or a phone number), normalised. */
  recipient: string;
  /** What the code is for (`login`, `register`, ...): a code is only good for its purpose. */
  purpose: string;
  /** HMAC-SHA256 of the code, hex. */
  codeHash: string;
  /** When the code expires (ms since epoch). */
  expiresAt: number;
  /** Verification attempts made so far. */
  attempts: number;
}

/**
 * Where verification codes live, one live code per (recipient, purpose).
 * Implementations: `createMemoryCodeStore`, `createPostgresCodeStore`.
 */
export interface CodeStore {
  /** Stores a code with 0 attempts, replacing the recipient's code for that purpose. */
  put(code: Omit<StoredCode, "attempts">): Promise<void>;
  /**
   * Atomically counts one attempt on the live (unexpired at `now`) code and
   * resolves with it after the increment; undefined when there is none.
   */
  attempt(recipient: string, purpose: string, now: number): Promise<StoredCode | undefined>;
  /**
   * Deletes the code if its hash is `codeHash`; true when it did. A code is
   * consumed once: of two concurrent calls only one gets true.
   */
  consume(recipient: string, purpose: string, codeHash: string): Promise<boolean>;
  /** Deletes the code, if any. */
  delete(recipient: string, purpose: string): Promise<void>;
  /** Deletes codes expired before `now`; resolves with how many. */
  purgeExpired(now: number): Promise<number>;
}
