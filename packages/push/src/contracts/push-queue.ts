import type { Message } from "@lucky-im/core";

/** One message for an offline user, as the notifier hands it to a {@link PushQueue}. */
export interface PushQueueEntry {
  /** The recipient. */
  userId: string;
  /** The conversation (with the user, the key a burst is batched under). */
  conversationId: string;
  /** The message. */
  message: Message;
  /** Whether the message mentions the recipient (or `all`). */
  mentioned: boolean;
}

/**
 * A notification job: the messages of one user in one conversation gathered
 * during the batch window, sent to the user's devices when due.
 */
export interface PushJob {
  /** The job's id (unique in its queue). */
  id: string;
  /** The recipient. */
  userId: string;
  /** The conversation. */
  conversationId: string;
  /** How many messages it stands for. */
  count: number;
  /**
   * The latest of them (highest `seq`). A dead job keeps none of its content: the body is an
   * empty text, and reply, mentions and forward origin are gone (ids, seq and time stay).
   */
  latest: Message;
  /** Whether any of them mentions the recipient (or `all`). */
  mentioned: boolean;
  /** How many times it was claimed, this claim included (a crashed worker's claim counts). */
  attempts: number;
  /**
   * The device ids still waiting for this notification (those a transient
   * failure left); absent: every device of the user.
   */
  devices?: string[];
  /** When it was opened, in ms since the epoch. */
  createdAt: number;
  /** When it is (or was) due, in ms since the epoch. */
  dueAt: number;
  /** Why the last attempt failed. */
  lastError?: string;
}

/** A job claimed by one worker: only the claim's `lease` can settle it. */
export interface ClaimedPushJob extends PushJob {
  /** The claim's token; settling with another (an expired claim) does nothing. */
  lease: string;
}

/** Options of {@link PushQueue.claim}. */
export interface PushClaimOptions {
  /** The most jobs to claim. */
  limit: number;
  /** How long the claim lasts, in ms; then another worker may claim the job again. */
  leaseMs: number;
  /** The time, in ms since the epoch: jobs due at or before it are claimed. */
  now: number;
  /**
   * Also claim jobs never attempted whose batch window is still open (the
   * notifier's `flush`).
   */
  openBatches?: boolean;
}

/** How {@link PushQueue.fail} settles a job. */
export interface PushFailure {
  /** Why it failed (kept as `lastError`). */
  error: string;
  /** When to try again, in ms since the epoch; absent: the job is dead (kept for inspection). */
  retryAt?: number;
  /** The device ids still waiting (a retry sends only to them). */
  devices?: string[];
}

/** How many jobs a {@link PushQueue} holds. */
export interface PushQueueStats {
  /** Waiting for their due time (batch window or retry). */
  pending: number;
  /** Claimed by a worker now. */
  leased: number;
  /** Given up after the last attempt. */
  dead: number;
}

/**
 * Where notification jobs wait, durably in the PostgreSQL and SQLite queues,
 * so a crash loses none: a job is claimed with a lease, and a worker that
 * dies leaves it to be claimed again when the lease ends (at-least-once).
 *
 * Batching: while a user's job for a conversation was never attempted,
 * {@link PushQueue.enqueue} adds to it (count + 1, the latest message, the
 * mention); once claimed, a new message opens a new job.
 */
export interface PushQueue {
  /**
   * Adds the message to the user's open job for the conversation, or opens one
   * due at `dueAt` (the batch window's end). Resolves once durable; false when
   * a bounded queue is full (nothing was added).
   */
  enqueue(entry: PushQueueEntry, dueAt: number): Promise<boolean>;
  /**
   * Claims due jobs (and jobs whose lease ended), oldest due first, adding one
   * to their `attempts`. Workers on several nodes never claim the same job at once.
   */
  claim(options: PushClaimOptions): Promise<ClaimedPushJob[]>;
  /** Removes a job that was sent; false when the lease was lost (another worker has it). */
  complete(job: ClaimedPushJob): Promise<boolean>;
  /**
   * Schedules a retry of a job (`retryAt`) or marks it dead; false when the lease
   * was lost. A job marked dead loses its latest message's content (see {@link PushJob.latest}).
   */
  fail(job: ClaimedPushJob, failure: PushFailure): Promise<boolean>;
  /** Dead jobs, most recent first, for inspection. */
  listDead(limit: number): Promise<PushJob[]>;
  /**
   * Deletes the jobs that died before `olderThan` (ms since the epoch); resolves with how
   * many. The notifier calls it periodically (`deadRetentionMs`).
   */
  purgeDead(olderThan: number): Promise<number>;
  /** How many jobs are pending, leased and dead. */
  stats(): Promise<PushQueueStats>;
}
