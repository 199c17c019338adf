import { authError } from "./internal/errors.js";

/** What {@link createPasswordPolicy} refuses. */
export interface PasswordPolicyOptions {
  /**
   * Shortest password accepted (in UTF-16 code units).
   * @default 8
   */
  minLength?: number;
  /**
   * Longest password accepted.
   * @default 1024
   */
  maxLength?: number;
  /**
   * Passwords refused whatever their length, compared case-insensitively;
   * `false` refuses none.
   * @default the ~49,000 most common passwords of `@zxcvbn-ts/language-common`
   */
  commonPasswords?: Iterable<string> | false;
}

/** Checks new passwords (registration, password change); login checks only the length. */
export interface PasswordPolicy {
  /**
   * Resolves with `password` when it is acceptable for `username`; rejects
   * with `bad_request` (a message the user can act on) when it is too short
   * or too long, one of the common passwords, equal to the username, or
   * contains it (usernames of 3 characters or more, ignoring case). Without
   * `username` only the rules that need no account apply (length, common
   * passwords): what a flow can check before it may look the account up.
   */
  check(password: unknown, username?: string): Promise<string>;
}

const fold = (text: string) => text.normalize("NFKC").toLowerCase();

let defaultList: Promise<ReadonlySet<string>> | undefined;

// Loaded on first use: the list is about 400 KB and many processes never register anyone.
function loadDefaultList(): Promise<ReadonlySet<string>> {
  defaultList ??= import("@zxcvbn-ts/language-common").then(
    ({ dictionary }) => new Set(dictionary["passwords-common"].map(fold)),
  );
  return defaultList;
}

/**
 * The rules for new passwords.
 *
 * @example
 * ```ts
 * const policy = createPasswordPolicy({ minLength: 10 });
 * await policy.check("password123", "alice"); // rejects: a common password
 * await policy.check("alice-rocks-2030", "alice"); // rejects: contains the username
 * ```
 */
export function createPasswordPolicy(options: PasswordPolicyOptions = {}): PasswordPolicy {
  const min = options.minLength ?? 8;
  const max = options.maxLength ?? 1024;
  const custom =
    options.commonPasswords === false
      ? Promise.resolve(new Set<string>())
      : options.commonPasswords === undefined
        ? undefined
        : Promise.resolve(new Set([...options.commonPasswords].map(fold)));
  const common = () => custom ?? loadDefaultList();

  return {
    async check(password, username) {
      if (typeof password !== "string" || password.length < min || password.length > max) {
        throw authError("bad_request", `password must be ${min} to ${max} characters`);
      }
      const folded = fold(password);
      const name = username === undefined ? undefined : fold(username);
      if (name !== undefined && (folded === name || (name.length >= 3 && folded.includes(name)))) {
        throw authError("bad_request", "password must not contain the username");
      }
      if ((await common()).has(folded)) {
        throw authError(
          "bad_request",
          "password is one of the most common passwords: choose another one",
        );
      }
      return password;
    },
  };
}
