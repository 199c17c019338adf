import type { CredentialStore, UserCredentials } from "../contracts/credential-store.js";
import { authError } from "../internal/errors.js";

/**
 * A {@link CredentialStore} in process memory: for tests and single-process
 * embedding. Everything is lost on restart.
 */
export function createMemoryCredentialStore(): CredentialStore {
  const byId = new Map<string, UserCredentials>();
  const idByUsername = new Map<string, string>();
  const idByRecipient = new Map<string, string>();
  const copy = (user: UserCredentials | undefined) => (user ? { ...user } : undefined);

  return {
    async create({ userId, username, passwordHash }) {
      if (idByUsername.has(username) || byId.has(userId)) {
        throw authError("conflict", `username "${username}" is taken`);
      }
      const user: UserCredentials = { userId, username, passwordHash, tokenVersion: 0 };
      byId.set(userId, user);
      idByUsername.set(username, userId);
      return { ...user };
    },
    async findByUsername(username) {
      const id = idByUsername.get(username);
      return id === undefined ? undefined : copy(byId.get(id));
    },
    async findById(userId) {
      return copy(byId.get(userId));
    },
    async getTokenVersion(userId) {
      return byId.get(userId)?.tokenVersion;
    },
    async setPasswordHash(userId, passwordHash, options = {}) {
      const user = byId.get(userId);
      if (!user) return undefined;
      if (options.ifPasswordHash !== undefined && user.passwordHash !== options.ifPasswordHash) {
        return undefined;
      }
      user.passwordHash = passwordHash;
      if (options.revokeTokens) user.tokenVersion += 1;
      return { ...user };
    },
    async findByRecipient(recipient) {
      const id = idByRecipient.get(recipient);
      return id === undefined ? undefined : copy(byId.get(id));
    },
    async setRecipient(userId, recipient) {
      const user = byId.get(userId);
      if (!user) return undefined;
      if (recipient !== null) {
        const holder = idByRecipient.get(recipient);
        if (holder !== undefined && holder !== userId) {
          throw authError("conflict", "this recipient belongs to another account");
        }
      }
      if (user.recipient !== undefined) idByRecipient.delete(user.recipient);
      if (recipient === null) delete user.recipient;
      else {
        user.recipient = recipient;
        idByRecipient.set(recipient, userId);
      }
      return { ...user };
    },
    async incrementTokenVersion(userId) {
      const user = byId.get(userId);
      if (!user) return undefined;
      user.tokenVersion += 1;
      return user.tokenVersion;
    },
  };
}
