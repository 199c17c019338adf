import type { Message } from "@lucky-im/core";
import type { ClaimedPushJob, PushJob } from "./contracts/push-queue.js";

/** @internal A `push_jobs` row as PostgreSQL (bigints as strings) or SQLite returns it. */
export interface PushJobRow {
  id: string | number;
  user_id: string;
  conversation_id: string;
  count: string | number;
  latest: string;
  mentioned: boolean | number;
  attempts: string | number;
  devices: string | null;
  created_at: string | number;
  due_at: string | number;
  last_error: string | null;
  lease: string | null;
}

/** @internal The columns {@link PushJobRow} reads. */
export const PUSH_JOB_COLUMNS =
  "id, user_id, conversation_id, count, latest, mentioned, attempts, devices, created_at, due_at, last_error, lease";

/** @internal A row as a {@link PushJob}. */
export function toPushJob(row: PushJobRow): PushJob {
  return {
    id: String(row.id),
    userId: row.user_id,
    conversationId: row.conversation_id,
    count: Number(row.count),
    latest: JSON.parse(row.latest) as Message,
    mentioned: Boolean(row.mentioned),
    attempts: Number(row.attempts),
    ...(row.devices === null ? {} : { devices: JSON.parse(row.devices) as string[] }),
    createdAt: Number(row.created_at),
    dueAt: Number(row.due_at),
    ...(row.last_error === null ? {} : { lastError: row.last_error }),
  };
}

/** @internal A claimed row as a {@link ClaimedPushJob}. */
export function toClaimedPushJob(row: PushJobRow): ClaimedPushJob {
  return { ...toPushJob(row), lease: row.lease as string };
}
