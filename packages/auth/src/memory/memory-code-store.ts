import type { CodeStore, StoredCode } from "../contracts/code-store.js";

/**
 * A {@link CodeStore} in process memory: for tests and single-process
 * embedding (several nodes need a shared store, such as the Postgres one).
 */
export function createMemoryCodeStore(): CodeStore {
  const codes = new Map<string, StoredCode>();
  const key = (recipient: string, purpose: string) => `${purpose}\u0000${recipient}`;

  return {
    async put(code) {
      codes.set(key(code.recipient, code.purpose), { ...code, attempts: 0 });
    },
    async attempt(recipient, purpose, now) {
      const code = codes.get(key(recipient, purpose));
      if (!code || code.expiresAt <= now) return undefined;
      code.attempts += 1;
      return { ...code };
    },
    async consume(recipient, purpose, codeHash) {
      const k = key(recipient, purpose);
      if (codes.get(k)?.codeHash !== codeHash) return false;
      codes.delete(k);
      return true;
    },
    async delete(recipient, purpose) {
      codes.delete(key(recipient, purpose));
    },
    async purgeExpired(now) {
      let deleted = 0;
      for (const [k, code] of codes) {
        if (code.expiresAt <= now) {
          codes.delete(k);
          deleted += 1;
        }
      }
      return deleted;
    },
  };
}
