import type {
  RefreshFamily,
  RefreshTokenRecord,
  RefreshTokenStore,
} from "../contracts/refresh-token-store.js";

interface TokenEntry {
  familyId: string;
  expiresAt: number;
  /** When it was rotated (ms since epoch); undefined while current. */
  usedAt?: number;
  sealedSuccessor?: string;
}

interface FamilyEntry {
  family: RefreshFamily;
  revoked: boolean;
}

/**
 * A {@link RefreshTokenStore} in process memory: for tests and single-process
 * embedding. Expired tokens stay until {@link RefreshTokenStore.purgeExpired}.
 */
export function createMemoryRefreshTokenStore(): RefreshTokenStore {
  const tokens = new Map<string, TokenEntry>();
  const families = new Map<string, FamilyEntry>();

  const insert = (familyId: string, token: RefreshTokenRecord) => {
    tokens.set(token.tokenHash, { familyId, expiresAt: token.expiresAt });
  };

  return {
    async createFamily(family, token) {
      families.set(family.familyId, { family: { ...family }, revoked: false });
      insert(family.familyId, token);
    },
    async rotate(tokenHash, next, now, options) {
      const token = tokens.get(tokenHash);
      const entry = token && families.get(token.familyId);
      if (!token || !entry || entry.revoked || token.expiresAt <= now) return { status: "invalid" };
      if (token.usedAt !== undefined) {
        const interval = options?.reuseIntervalMs ?? 0;
        if (token.sealedSuccessor !== undefined && token.usedAt > now - interval) {
          return {
            status: "replayed",
            family: { ...entry.family },
            sealedSuccessor: token.sealedSuccessor,
          };
        }
        entry.revoked = true;
        return { status: "reused", family: { ...entry.family } };
      }
      token.usedAt = now;
      if (options) token.sealedSuccessor = options.sealedSuccessor;
      insert(token.familyId, next);
      return { status: "rotated", family: { ...entry.family } };
    },
    async revokeByToken(tokenHash, _now, userId) {
      const token = tokens.get(tokenHash);
      const entry = token && families.get(token.familyId);
      if (!entry || (userId !== undefined && entry.family.userId !== userId)) return undefined;
      entry.revoked = true;
      return { ...entry.family };
    },
    async revokeUser(userId) {
      for (const entry of families.values()) {
        if (entry.family.userId === userId) entry.revoked = true;
      }
    },
    async purgeExpired(now) {
      let deleted = 0;
      const live = new Set<string>();
      for (const [hash, token] of tokens) {
        if (token.expiresAt <= now) {
          tokens.delete(hash);
          deleted += 1;
        } else {
          live.add(token.familyId);
        }
      }
      for (const id of families.keys()) if (!live.has(id)) families.delete(id);
      return deleted;
    },
  };
}
