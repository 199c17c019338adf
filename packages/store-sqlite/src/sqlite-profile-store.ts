import {
  checkBatch,
  checkProfilePatch,
  checkSearchQuery,
  checkTime,
  checkUserId,
  DEFAULT_PROFILE_FIELDS,
  type Profile,
  type ProfileStore,
  pageLimit,
  prefixUpperBound,
  searchKey,
} from "@lucky-im/core";
import { sql } from "kysely";
import type { StoreContext } from "./context.js";
import type { ProfileTable } from "./database.js";

function toProfile(row: ProfileTable): Profile {
  return {
    userId: row.user_id,
    username: row.username,
    displayName: row.display_name,
    avatar: row.avatar,
    searchable: row.searchable === 1,
    hideLastSeen: row.hide_last_seen === 1,
    lastSeenAt: row.last_seen_at,
    updatedAt: row.updated_at,
  };
}

/** @internal The SQLite {@link ProfileStore}. */
export function createSqliteProfileStore(ctx: StoreContext): ProfileStore {
  const { db, exec } = ctx;
  const limits = ctx.options.people;
  const d = DEFAULT_PROFILE_FIELDS;

  const read = (userId: string) =>
    exec.first(db.selectFrom("profiles").selectAll().where("user_id", "=", userId));

  /** `column` in [key, upper): what the partial indexes on the keys serve (BINARY order). */
  const prefixRange = (column: string, key: string) => {
    const upper = prefixUpperBound(key);
    return upper === undefined
      ? sql`${sql.ref(column)} >= ${key}`
      : sql`(${sql.ref(column)} >= ${key} AND ${sql.ref(column)} < ${upper})`;
  };

  return {
    get(userId) {
      return ctx.run("get profile", () => {
        const row = read(userId);
        return row && toProfile(row);
      });
    },

    getMany(userIds) {
      return ctx.run("getMany profiles", () => {
        const ids = checkBatch(userIds, limits, "getMany");
        if (ids.length === 0) return [];
        return exec
          .all(
            sql<ProfileTable>`
              SELECT p.* FROM json_each(${JSON.stringify(ids)}) AS o
              JOIN profiles AS p ON p.user_id = o.value
              ORDER BY o.key
            `.compile(db),
          )
          .map(toProfile);
      });
    },

    update(userId, patch, now) {
      return ctx.run("update profile", () => {
        checkUserId(userId, "update");
        checkTime(now, "now");
        checkProfilePatch(patch, limits);
        return exec.transaction(() => {
          const current = read(userId);
          const username =
            patch.username !== undefined ? patch.username : (current?.username ?? d.username);
          const displayName = patch.displayName ?? current?.display_name ?? d.displayName;
          const row: ProfileTable = {
            user_id: userId,
            username,
            display_name: displayName,
            avatar: patch.avatar !== undefined ? patch.avatar : (current?.avatar ?? d.avatar),
            searchable: Number(
              patch.searchable ?? (current ? current.searchable === 1 : d.searchable),
            ),
            hide_last_seen: Number(
              patch.hideLastSeen ?? (current ? current.hide_last_seen === 1 : d.hideLastSeen),
            ),
            last_seen_at: current?.last_seen_at ?? null,
            updated_at: now,
            name_key: searchKey(displayName),
            username_key: username === null ? null : searchKey(username),
          };
          exec.run(
            db
              .insertInto("profiles")
              .values(row)
              .onConflict((oc) => oc.column("user_id").doUpdateSet(row)),
          );
          return toProfile(row);
        });
      });
    },

    setLastSeen(userId, ts) {
      return ctx.run("setLastSeen", () => {
        checkUserId(userId, "setLastSeen");
        checkTime(ts, "ts");
        exec.run(
          sql`
            INSERT INTO profiles (user_id, username, display_name, avatar, searchable,
              hide_last_seen, last_seen_at, updated_at, name_key, username_key)
            VALUES (${userId}, NULL, ${d.displayName}, NULL, ${Number(d.searchable)},
              ${Number(d.hideLastSeen)}, ${ts}, ${ts}, ${searchKey(d.displayName)}, NULL)
            ON CONFLICT (user_id) DO UPDATE SET last_seen_at = excluded.last_seen_at
            WHERE profiles.last_seen_at IS NULL OR profiles.last_seen_at < excluded.last_seen_at
          `.compile(db),
        );
      });
    },

    search(query, options = {}) {
      return ctx.run("search profiles", () => {
        const key = searchKey(checkSearchQuery(query, limits));
        const limit = pageLimit(options.limit, limits);
        const { after } = options;
        return exec
          .all(
            sql<ProfileTable>`
              SELECT * FROM profiles
              WHERE searchable = 1 AND (${prefixRange("name_key", key)} OR ${prefixRange("username_key", key)})
                ${after === undefined ? sql`` : sql`AND user_id > ${after}`}
              ORDER BY user_id LIMIT ${limit}
            `.compile(db),
          )
          .map(toProfile);
      });
    },
  };
}
