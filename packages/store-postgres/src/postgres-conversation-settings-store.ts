import {
  type ConversationSettings,
  type ConversationSettingsStore,
  checkSettingsPatch,
  checkTime,
  checkUserId,
  ImError,
} from "@lucky-im/core";
import { type RawBuilder, sql } from "kysely";
import { type StoreContext, toMs } from "./context.js";
import { lockUsers } from "./people-locks.js";
import { storeError } from "./pg-errors.js";

/** @internal The settings columns of a cursor row, as selected by {@link SETTINGS_COLUMNS}. */
export interface SettingsRow {
  conversation_id: string;
  pinned_at: Date | null;
  muted_until: Date | null;
  muted_forever: boolean;
  archived: boolean;
  marked_unread: boolean;
}

/** @internal Selects the settings of cursor rows aliased `c`. */
export const SETTINGS_COLUMNS = sql`c.pinned_at, c.muted_until,
  coalesce(c.muted_until = 'infinity'::timestamptz, false) AS muted_forever, c.archived, c.marked_unread`;

/** @internal Maps the settings columns of a row. */
export function toSettings(row: SettingsRow): ConversationSettings {
  return {
    conversationId: row.conversation_id,
    pinnedAt: row.pinned_at === null ? null : toMs(row.pinned_at),
    mutedUntil: row.muted_forever
      ? "forever"
      : row.muted_until === null
        ? null
        : toMs(row.muted_until),
    archived: row.archived,
    markedUnread: row.marked_unread,
  };
}

/** @internal The PostgreSQL {@link ConversationSettingsStore}: columns of the cursor rows. */
export function createPostgresConversationSettingsStore(
  ctx: StoreContext,
): ConversationSettingsStore {
  const t = ctx.tables;
  const db = ctx.db;
  const limits = ctx.options.people;

  return {
    get(userId, conversationIds) {
      return ctx.run("get settings", async () => {
        if (conversationIds?.length === 0) return [];
        const { rows } = await sql<SettingsRow>`
          SELECT c.conversation_id, ${SETTINGS_COLUMNS} FROM ${t.cursors} AS c
          WHERE c.user_id = ${userId}
            ${conversationIds === undefined ? sql`` : sql`AND c.conversation_id = ANY(${[...new Set(conversationIds)]}::text[])`}
        `.execute(db);
        return rows.map(toSettings);
      });
    },

    update(userId, conversationId, patch, now) {
      return ctx.run("update settings", async () => {
        checkUserId(userId, "update");
        checkTime(now, "now");
        checkSettingsPatch(patch);
        const sets: RawBuilder<unknown>[] = [];
        if (patch.pinned === true)
          sets.push(sql`pinned_at = coalesce(c.pinned_at, ${new Date(now)})`);
        if (patch.pinned === false) sets.push(sql`pinned_at = NULL`);
        if (patch.mutedUntil !== undefined) {
          const value =
            patch.mutedUntil === "forever"
              ? sql`'infinity'::timestamptz`
              : patch.mutedUntil === null
                ? sql`NULL`
                : sql`${new Date(patch.mutedUntil)}::timestamptz`;
          sets.push(sql`muted_until = ${value}`);
        }
        if (patch.archived !== undefined) sets.push(sql`archived = ${patch.archived}`);
        if (patch.markedUnread !== undefined) sets.push(sql`marked_unread = ${patch.markedUnread}`);
        if (sets.length === 0) sets.push(sql`archived = c.archived`);
        return db.transaction().execute(async (trx) => {
          if (patch.pinned === true) {
            // The pin count is checked under the user's lock: two pins at once cannot both pass.
            await lockUsers(trx, ctx.options.schema, [userId]);
            const { rows } = await sql<{ pinned: string; this_pinned: boolean }>`
              SELECT count(*) FILTER (WHERE pinned_at IS NOT NULL) AS pinned,
                coalesce(bool_or(conversation_id = ${conversationId} AND pinned_at IS NOT NULL), false) AS this_pinned
              FROM ${t.cursors} WHERE user_id = ${userId}
            `.execute(trx);
            const facts = rows[0]!;
            if (!facts.this_pinned && Number(facts.pinned) >= limits.maxPinned) {
              throw new ImError(
                "conflict",
                "[lucky-im] [store-postgres] too many pinned conversations",
                { details: { limit: limits.maxPinned } },
              );
            }
          }
          const { rows } = await sql<SettingsRow>`
            UPDATE ${t.cursors} AS c SET ${sql.join(sets)}
            WHERE c.user_id = ${userId} AND c.conversation_id = ${conversationId}
            RETURNING c.conversation_id, ${SETTINGS_COLUMNS}
          `.execute(trx);
          if (!rows[0]) {
            throw storeError("not_found", `"${userId}" is not in "${conversationId}"`);
          }
          return toSettings(rows[0]);
        });
      });
    },
  };
}
