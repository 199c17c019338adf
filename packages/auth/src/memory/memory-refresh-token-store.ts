import type {
  RefreshFamily,
  RefreshTokenRecord,
  RefreshTokenStore,
} from "../contracts/refresh-token-store.js";

interface TokenEntry {
  familyId: string;
  expiresAt: number;
  used: boolean;
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
    tokens.set(token.tokenHash, { familyId, expiresAt: token.expiresAt, used: false });
  };

  return {
    async createFamily(family, token) {
      families.set(family.familyId, { family: { ...family }, revoked: false });
      insert(family.familyId, token);
    },
    async rotate(tokenHash, next, now) {
      const token = tokens.get(tokenHash);
      const entry = token && families.get(token.familyId);
      if (!token || !entry || entry.revoked || token.expiresAt <= now) return { status: "invalid" };
      if (token.used) {
        entry.revoked = true;
        return { status: "reused", family: { ...entry.family } };
      }
      token.used = true;
      insert(token.familyId, next);
      return { status: "rotated", family: { ...entry.family } };
    },
    async revokeByToken(tokenHash) {
      const token = tokens.get(tokenHash);
      const entry = token && families.get(token.familyId);
      if (!entry) return undefined;
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
