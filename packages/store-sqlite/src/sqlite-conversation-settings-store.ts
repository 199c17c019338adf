import {
  type ConversationSettings,
  type ConversationSettingsStore,
  checkSettingsPatch,
  checkTime,
  checkUserId,
  ImError,
} from "@lucky-im/core";
import { sql } from "kysely";
import type { StoreContext } from "./context.js";
import { MUTED_FOREVER } from "./database.js";
import { storeError } from "./sqlite-errors.js";

/** @internal The settings columns of a cursor row. */
export interface SettingsRow {
  conversation_id: string;
  pinned_at: number | null;
  muted_until: number | null;
  archived: number;
  marked_unread: number;
}

/** @internal Maps the settings columns of a cursor row. */
export function toSettings(row: SettingsRow): ConversationSettings {
  return {
    conversationId: row.conversation_id,
    pinnedAt: row.pinned_at,
    mutedUntil: row.muted_until === MUTED_FOREVER ? "forever" : row.muted_until,
    archived: row.archived === 1,
    markedUnread: row.marked_unread === 1,
  };
}

const COLUMNS = [
  "conversation_id",
  "pinned_at",
  "muted_until",
  "archived",
  "marked_unread",
] as const;

/** @internal The SQLite {@link ConversationSettingsStore}: columns of the cursor rows. */
export function createSqliteConversationSettingsStore(
  ctx: StoreContext,
): ConversationSettingsStore {
  const { db, exec } = ctx;
  const limits = ctx.options.people;

  return {
    get(userId, conversationIds) {
      return ctx.run("get settings", () => {
        if (conversationIds?.length === 0) return [];
        let query = db.selectFrom("cursors").select(COLUMNS).where("user_id", "=", userId);
        if (conversationIds !== undefined) {
          query = query.where("conversation_id", "in", [...new Set(conversationIds)]);
        }
        return exec.all(query).map(toSettings);
      });
    },

    update(userId, conversationId, patch, now) {
      return ctx.run("update settings", () => {
        checkUserId(userId, "update");
        checkTime(now, "now");
        checkSettingsPatch(patch);
        return exec.transaction(() => {
          const current = exec.first(
            db
              .selectFrom("cursors")
              .select(COLUMNS)
              .where("user_id", "=", userId)
              .where("conversation_id", "=", conversationId),
          );
          if (!current) throw storeError("not_found", `"${userId}" is not in "${conversationId}"`);
          const next = { ...current };
          if (patch.pinned === true && next.pinned_at === null) {
            const { pinned } = exec.first(
              sql<{ pinned: number }>`
                SELECT count(*) AS pinned FROM cursors WHERE user_id = ${userId} AND pinned_at IS NOT NULL
              `.compile(db),
            )!;
            if (pinned >= limits.maxPinned) {
              throw new ImError(
                "conflict",
                "[lucky-im] [store-sqlite] too many pinned conversations",
                {
                  details: { limit: limits.maxPinned },
                },
              );
            }
            next.pinned_at = now;
          }
          if (patch.pinned === false) next.pinned_at = null;
          if (patch.mutedUntil !== undefined) {
            next.muted_until = patch.mutedUntil === "forever" ? MUTED_FOREVER : patch.mutedUntil;
          }
          if (patch.archived !== undefined) next.archived = Number(patch.archived);
          if (patch.markedUnread !== undefined) next.marked_unread = Number(patch.markedUnread);
          exec.run(
            db
              .updateTable("cursors")
              .set({
                pinned_at: next.pinned_at,
                muted_until: next.muted_until,
                archived: next.archived,
                marked_unread: next.marked_unread,
              })
              .where("user_id", "=", userId)
              .where("conversation_id", "=", conversationId),
          );
          return toSettings(next);
        });
      });
    },
  };
}
