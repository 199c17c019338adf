import type { Session } from "./session.js";

/** The authenticated sessions this node holds, by user. */
export class SessionRegistry {
  private readonly byUser = new Map<string, Set<Session>>();
  private readonly byId = new Map<string, Session>();

  get size(): number {
    return this.byId.size;
  }

  add(session: Session): void {
    const userId = session.userId;
    if (!userId) throw new Error("[lucky-im] [core] only authenticated sessions are registered");
    let set = this.byUser.get(userId);
    if (!set) {
      set = new Set();
      this.byUser.set(userId, set);
    }
    set.add(session);
    this.byId.set(session.id, session);
  }

  /** Removes a session; returns true when it was the user's last one on this node. */
  remove(session: Session): boolean {
    if (!this.byId.delete(session.id)) return false;
    const userId = session.userId;
    if (!userId) return false;
    const set = this.byUser.get(userId);
    if (!set) return false;
    set.delete(session);
    if (set.size === 0) {
      this.byUser.delete(userId);
      return true;
    }
    return false;
  }

  get(sessionId: string): Session | undefined {
    return this.byId.get(sessionId);
  }

  /** The user's sessions on this node (live view: do not mutate). */
  ofUser(userId: string): ReadonlySet<Session> | undefined {
    return this.byUser.get(userId);
  }

  hasUser(userId: string): boolean {
    return this.byUser.has(userId);
  }

  all(): IterableIterator<Session> {
    return this.byId.values();
  }
}
