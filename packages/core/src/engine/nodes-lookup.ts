import type { Presence } from "../contracts/presence.js";
import { TurnBatch } from "../util/turn-batch.js";

/**
 * Merges the `presence.nodesOf` lookups made during one event-loop turn into
 * one call. Under load every stored message and every receipt asks where its
 * users are; with Redis that was one script call (two socket writes, one on
 * each side) per message. Batched, a turn that handles a hundred sends makes
 * one call. Each caller still gets the answer for exactly its own users.
 */
export class NodesLookup {
  private readonly batch: TurnBatch<readonly string[], Map<string, string[]>>;

  /**
   * @param presence - where the answer comes from
   * @param maxUsers - a batch that asks for this many user ids leaves at once
   */
  constructor(presence: Presence, maxUsers: number) {
    this.batch = new TurnBatch(
      async (lookups) => {
        if (lookups.length === 1) return [await presence.nodesOf(lookups[0] as readonly string[])];
        const users = new Set<string>();
        for (const userIds of lookups) for (const userId of userIds) users.add(userId);
        const nodesOfUser = byUser(await presence.nodesOf([...users]));
        return lookups.map((userIds) => pick(nodesOfUser, userIds));
      },
      { maxBatch: maxUsers, sizeOf: (userIds) => userIds.length },
    );
  }

  /** Like `presence.nodesOf(userIds)`, answered together with the turn's other lookups. */
  nodesOf(userIds: readonly string[]): Promise<Map<string, string[]>> {
    return this.batch.submit(userIds);
  }
}

/** user -> the nodes holding their sessions. */
function byUser(nodes: Map<string, string[]>): Map<string, string[]> {
  const nodesOfUser = new Map<string, string[]>();
  for (const [nodeId, nodeUsers] of nodes) {
    for (const userId of nodeUsers) {
      const list = nodesOfUser.get(userId);
      if (list) list.push(nodeId);
      else nodesOfUser.set(userId, [nodeId]);
    }
  }
  return nodesOfUser;
}

/** The node -> users map of `userIds` alone (each user once, in the order asked). */
function pick(
  nodesOfUser: Map<string, string[]>,
  userIds: readonly string[],
): Map<string, string[]> {
  const answer = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const userId of userIds) {
    if (seen.has(userId)) continue;
    seen.add(userId);
    for (const nodeId of nodesOfUser.get(userId) ?? []) {
      const list = answer.get(nodeId);
      if (list) list.push(userId);
      else answer.set(nodeId, [userId]);
    }
  }
  return answer;
}
