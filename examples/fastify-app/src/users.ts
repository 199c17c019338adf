import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";

/** One of the app's own users (Lucky IM knows only the `id`). */
export interface AppUser {
  readonly id: string;
  readonly username: string;
}

/** The app's user directory: stands for whatever user table the app already has. */
export interface UserDirectory {
  /** The user whose password matches, or undefined. */
  verify(username: string, password: string): AppUser | undefined;
  /** The user with this id, or undefined. */
  byId(id: string): AppUser | undefined;
}

/**
 * An in-memory directory of `{ username, password }` pairs; each user's id is
 * `u_<username>`. Passwords are kept as scrypt hashes and compared in constant time.
 */
export function createUserDirectory(
  accounts: ReadonlyArray<{ username: string; password: string }>,
): UserDirectory {
  const byName = new Map<string, AppUser & { salt: Buffer; hash: Buffer }>();
  for (const { username, password } of accounts) {
    const salt = randomBytes(16);
    byName.set(username, {
      id: `u_${username}`,
      username,
      salt,
      hash: scryptSync(password, salt, 32),
    });
  }
  const public_ = (user: AppUser): AppUser => ({ id: user.id, username: user.username });
  return {
    verify(username, password) {
      const user = byName.get(username);
      if (!user) return undefined;
      const hash = scryptSync(password, user.salt, 32);
      return timingSafeEqual(hash, user.hash) ? public_(user) : undefined;
    },
    byId(id) {
      for (const user of byName.values()) if (user.id === id) return public_(user);
      return undefined;
    },
  };
}

/** Parses `LUCKY_IM_DEMO_USERS` (`alice:secret,bob:secret`) into accounts. */
export function parseAccounts(value: string): Array<{ username: string; password: string }> {
  return value
    .split(",")
    .map((pair) => pair.trim())
    .filter((pair) => pair.length > 0)
    .map((pair) => {
      const colon = pair.indexOf(":");
      if (colon <= 0) throw new Error(`LUCKY_IM_DEMO_USERS: "${pair}" is not username:password`);
      return { username: pair.slice(0, colon), password: pair.slice(colon + 1) };
    });
}
