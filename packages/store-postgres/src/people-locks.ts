import { type Kysely, sql } from "kysely";
import type { Database } from "./database.js";

/**
 * @internal Takes a transaction-scoped advisory lock per user, in sorted order (two
 * transactions locking the same users never wait on each other crosswise). Every write
 * that involves a pair of users (requests, accepts, blocks) or counts a user's rows
 * against a limit (pending requests, pins) takes them, so these writes serialize per
 * user without locking rows that may not exist yet.
 */
export async function lockUsers(
  trx: Kysely<Database>,
  schema: string,
  userIds: readonly string[],
): Promise<void> {
  for (const userId of [...new Set(userIds)].sort()) {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`lucky_im.people:${schema}:${userId}`}, 0))`.execute(
      trx,
    );
  }
}
