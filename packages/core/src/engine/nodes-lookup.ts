import type { Presence } from "../contracts/presence.js";

interface Waiter {
  userIds: readonly string[];
  resolve(nodes: Map<string, string[]>): void;
  reject(error: unknown): void;
}

/**
 * Merges the `presence.nodesOf` lookups made during one event-loop turn into
 * one call. Under load every stored message and every receipt asks where its
 * users are; with Redis that was one script call (two socket writes, one on
 * each side) per message. Batched, a turn that handles a hundred sends makes
 * one call. Each caller still gets the answer for exactly its own users.
 */
export class NodesLookup {
  private waiting: Waiter[] = [];
  private users = new Set<string>();
  private scheduled = false;

  /**
   * @param presence - where the answer comes from
   * @param maxUsers - a batch that reaches this many distinct users is sent at once
   */
  constructor(
    private readonly presence: Presence,
    private readonly maxUsers: number,
  ) {}

  /** Like `presence.nodesOf(userIds)`, answered together with the turn's other lookups. */
  nodesOf(userIds: readonly string[]): Promise<Map<string, string[]>> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ userIds, resolve, reject });
      for (const userId of userIds) this.users.add(userId);
      if (this.users.size >= this.maxUsers) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        // After the I/O callbacks of this turn: every send and ack they carried joins the batch.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    if (this.waiting.length === 0) return;
    const waiting = this.waiting;
    const users = [...this.users];
    this.waiting = [];
    this.users = new Set();
    if (waiting.length === 1) {
      const only = waiting[0] as Waiter;
      this.presence.nodesOf(only.userIds).then(only.resolve, only.reject);
      return;
    }
    this.presence.nodesOf(users).then(
      (nodes) => {
        const nodesOfUser = new Map<string, string[]>();
        for (const [nodeId, nodeUsers] of nodes) {
          for (const userId of nodeUsers) {
            const list = nodesOfUser.get(userId);
            if (list) list.push(nodeId);
            else nodesOfUser.set(userId, [nodeId]);
          }
        }
        for (const waiter of waiting) waiter.resolve(pick(nodesOfUser, waiter.userIds));
      },
      (error: unknown) => {
        for (const waiter of waiting) waiter.reject(error);
      },
    );
  }
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
