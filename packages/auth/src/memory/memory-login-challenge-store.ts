import type { LoginChallenge, LoginChallengeStore } from "../contracts/login-challenge-store.js";
import { authError } from "../internal/errors.js";

/**
 * A {@link LoginChallengeStore} in process memory: for tests and single-process
 * embedding (several nodes need a shared store, such as the Postgres one).
 */
export function createMemoryLoginChallengeStore(): LoginChallengeStore {
  const challenges = new Map<string, LoginChallenge>();
  const live = (challengeId: string, now: number) => {
    const challenge = challenges.get(challengeId);
    return challenge && challenge.expiresAt > now ? challenge : undefined;
  };

  return {
    async create(challenge) {
      if (challenges.has(challenge.challengeId)) {
        throw authError("conflict", "this login challenge id is taken");
      }
      challenges.set(challenge.challengeId, { ...challenge, status: "pending" });
    },
    async get(challengeId, now) {
      const challenge = live(challengeId, now);
      return challenge && { ...challenge };
    },
    async decide(challengeId, userId, decision, now) {
      const challenge = live(challengeId, now);
      if (challenge?.status !== "pending") return undefined;
      challenge.status = decision;
      challenge.userId = userId;
      return { ...challenge };
    },
    async consume(challengeId, secretHash, now) {
      const challenge = live(challengeId, now);
      if (challenge?.status !== "approved" || challenge.secretHash !== secretHash) {
        return undefined;
      }
      challenge.status = "consumed";
      return { ...challenge };
    },
    async purgeExpired(now) {
      let deleted = 0;
      for (const [id, challenge] of challenges) {
        if (challenge.expiresAt <= now) {
          challenges.delete(id);
          deleted += 1;
        }
      }
      return deleted;
    },
  };
}
