import { randomUUID } from "node:crypto";
import { checkOption } from "@lucky-im/core";
import type {
  ClaimedPushJob,
  PushJob,
  PushQueue,
  PushQueueEntry,
} from "../contracts/push-queue.js";
import { withoutContent } from "../dead-job-message.js";

/** Options of {@link createMemoryPushQueue}. */
export interface MemoryPushQueueOptions {
  /**
   * The most pending and leased jobs at once; beyond it a message that would
   * open a job is refused (`enqueue` resolves false), so an outage never grows memory.
   * @default 10000
   */
  maxJobs?: number;
  /** The most dead jobs kept; the oldest are forgotten beyond it. @default 1000 */
  maxDead?: number;
}

interface Slot extends PushJob {
  state: "pending" | "leased" | "dead";
  lease?: string;
  leaseUntil?: number;
  seq: number;
  /** When it died (ms since the epoch). */
  diedAt?: number;
}

const copy = (slot: Slot): PushJob => {
  const {
    state: _state,
    lease: _lease,
    leaseUntil: _until,
    seq: _seq,
    diedAt: _diedAt,
    ...job
  } = slot;
  return { ...job, ...(job.devices ? { devices: [...job.devices] } : {}) };
};

/**
 * A {@link PushQueue} in process memory: for tests and a single node that may
 * lose pending notifications on a crash (use the PostgreSQL or SQLite queue
 * otherwise). Bounded by `maxJobs`.
 */
export function createMemoryPushQueue(options: MemoryPushQueueOptions = {}): PushQueue {
  const maxJobs = options.maxJobs ?? 10_000;
  const maxDead = options.maxDead ?? 1000;
  for (const [name, value] of Object.entries({ maxJobs, maxDead })) {
    checkOption("push", name, value, { min: 1, integer: true });
  }
  const jobs = new Map<string, Slot>();
  // userId \0 conversationId -> the id of the job still open for batching.
  const open = new Map<string, string>();
  const dead: Slot[] = [];
  let nextId = 0;
  let seq = 0;

  const openKey = (userId: string, conversationId: string) => `${userId}\u0000${conversationId}`;
  const held = (job: ClaimedPushJob) => {
    const slot = jobs.get(job.id);
    return slot?.state === "leased" && slot.lease === job.lease ? slot : undefined;
  };

  return {
    async enqueue(entry: PushQueueEntry, dueAt: number) {
      const key = openKey(entry.userId, entry.conversationId);
      const openId = open.get(key);
      const slot = openId === undefined ? undefined : jobs.get(openId);
      if (slot !== undefined && slot.state === "pending" && slot.attempts === 0) {
        slot.count++;
        if (entry.message.seq >= slot.latest.seq) slot.latest = entry.message;
        slot.mentioned ||= entry.mentioned;
        return true;
      }
      if (jobs.size >= maxJobs) return false;
      const id = String(++nextId);
      jobs.set(id, {
        id,
        userId: entry.userId,
        conversationId: entry.conversationId,
        count: 1,
        latest: entry.message,
        mentioned: entry.mentioned,
        attempts: 0,
        createdAt: Date.now(),
        dueAt,
        state: "pending",
        seq: ++seq,
      });
      open.set(key, id);
      return true;
    },
    async claim({ limit, leaseMs, now, openBatches = false }) {
      const due = [...jobs.values()]
        .filter((slot) =>
          slot.state === "pending"
            ? slot.dueAt <= now || (openBatches && slot.attempts === 0)
            : (slot.leaseUntil ?? 0) <= now,
        )
        .sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq)
        .slice(0, Math.max(0, limit));
      const lease = randomUUID();
      return due.map((slot) => {
        const key = openKey(slot.userId, slot.conversationId);
        if (open.get(key) === slot.id) open.delete(key);
        slot.state = "leased";
        slot.lease = lease;
        slot.leaseUntil = now + leaseMs;
        slot.attempts++;
        return { ...copy(slot), lease };
      });
    },
    async complete(job) {
      if (held(job) === undefined) return false;
      jobs.delete(job.id);
      return true;
    },
    async fail(job, failure) {
      const slot = held(job);
      if (slot === undefined) return false;
      slot.lastError = failure.error;
      if (failure.devices) slot.devices = [...failure.devices];
      delete slot.lease;
      delete slot.leaseUntil;
      if (failure.retryAt === undefined) {
        jobs.delete(job.id);
        slot.state = "dead";
        slot.seq = ++seq;
        slot.diedAt = Date.now();
        slot.latest = withoutContent(slot.latest);
        dead.push(slot);
        if (dead.length > maxDead) dead.shift();
      } else {
        slot.state = "pending";
        slot.dueAt = failure.retryAt;
      }
      return true;
    },
    async listDead(limit) {
      return [...dead].reverse().slice(0, Math.max(0, limit)).map(copy);
    },
    async purgeDead(olderThan) {
      // Dead jobs are in the order they died.
      let purged = 0;
      while (purged < dead.length && (dead[purged]!.diedAt ?? 0) < olderThan) purged++;
      dead.splice(0, purged);
      return purged;
    },
    async stats() {
      let pending = 0;
      let leased = 0;
      for (const slot of jobs.values()) {
        if (slot.state === "pending") pending++;
        else leased++;
      }
      return { pending, leased, dead: dead.length };
    },
  };
}
