import { encodeFrame } from "../protocol/codec.js";
import type { PresenceFrame } from "../protocol/schemas.js";
import type { Session } from "./session.js";
import type { ImServerStats } from "./stats.js";

/** Lets other work run between two chunks of a fan-out. */
const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The presence watch lists of this node's sessions (`presence_subscribe`), by watched user.
 * Every node hears each change once (`presence_changed` broadcast) and pushes it to its own
 * watchers in chunks, yielding between them: a user with thousands of watchers coming
 * online costs one frame serialization and never blocks the event loop for the whole list.
 */
export class PresenceSubscriptions {
  private readonly watchers = new Map<string, Set<Session>>();
  private readonly watching = new Map<Session, Set<string>>();

  /**
   * @param stats - the node's counters (`framesOut`)
   * @param chunkSize - sessions pushed to before yielding the event loop
   */
  constructor(
    private readonly stats: ImServerStats,
    private readonly chunkSize: number,
  ) {}

  /** Sessions watching at least one user. */
  get sessionCount(): number {
    return this.watching.size;
  }

  /** Replaces the session's watch list (an empty list stops watching). */
  subscribe(session: Session, userIds: readonly string[]): void {
    this.drop(session);
    if (userIds.length === 0) return;
    this.watching.set(session, new Set(userIds));
    for (const userId of userIds) {
      let set = this.watchers.get(userId);
      if (!set) {
        set = new Set();
        this.watchers.set(userId, set);
      }
      set.add(session);
    }
  }

  /** Forgets a session's watch list (it closed). */
  drop(session: Session): void {
    const list = this.watching.get(session);
    if (!list) return;
    this.watching.delete(session);
    for (const userId of list) {
      const set = this.watchers.get(userId);
      set?.delete(session);
      if (set?.size === 0) this.watchers.delete(userId);
    }
  }

  /** Pushes a `presence` frame to this node's watchers of the user, chunk by chunk. */
  async notify(userId: string, online: boolean, lastSeen: number | undefined): Promise<void> {
    const set = this.watchers.get(userId);
    if (!set || set.size === 0) return;
    const frame: PresenceFrame =
      lastSeen === undefined
        ? { type: "presence", userId, online }
        : { type: "presence", userId, online, lastSeen };
    const data = encodeFrame(frame);
    // A copy: the set may change while we yield.
    const sessions = [...set];
    for (let start = 0; start < sessions.length; start += this.chunkSize) {
      if (start > 0) await yieldTurn();
      const end = Math.min(start + this.chunkSize, sessions.length);
      for (let i = start; i < end; i++) {
        const session = sessions[i]!;
        if (session.state === "ready" && session.send(data)) this.stats.framesOut++;
      }
    }
  }
}
