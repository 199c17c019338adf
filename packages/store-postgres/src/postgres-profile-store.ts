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
import { type StoreContext, toMs } from "./context.js";

interface ProfileRow {
  user_id: string;
  username: string | null;
  display_name: string;
  avatar: string | null;
  searchable: boolean;
  hide_last_seen: boolean;
  last_seen_at: Date | null;
  updated_at: Date;
}

function toProfile(row: ProfileRow): Profile {
  return {
    userId: row.user_id,
    username: row.username,
    displayName: row.display_name,
    avatar: row.avatar,
    searchable: row.searchable,
    hideLastSeen: row.hide_last_seen,
    lastSeenAt: row.last_seen_at === null ? null : toMs(row.last_seen_at),
    updatedAt: toMs(row.updated_at),
  };
}

const COLUMNS = sql`user_id, username, display_name, avatar, searchable, hide_last_seen, last_seen_at, updated_at`;

/** @internal The PostgreSQL {@link ProfileStore}. */
export function createPostgresProfileStore(ctx: StoreContext): ProfileStore {
  const t = ctx.tables;
  const db = ctx.db;
  const limits = ctx.options.people;
  const d = DEFAULT_PROFILE_FIELDS;

  /** `key COLLATE "C"` in [prefix, upper): what the partial indexes on the keys serve. */
  const prefixRange = (column: string, key: string) => {
    const ref = sql`${sql.ref(column)} COLLATE "C"`;
    const upper = prefixUpperBound(key);
    return upper === undefined
      ? sql`${ref} >= ${key}`
      : sql`(${ref} >= ${key} AND ${ref} < ${upper})`;
  };

  return {
    get(userId) {
      return ctx.run("get profile", async () => {
        const { rows } = await sql<ProfileRow>`
          SELECT ${COLUMNS} FROM ${t.profiles} WHERE user_id = ${userId}
        `.execute(db);
        return rows[0] && toProfile(rows[0]);
      });
    },

    getMany(userIds) {
      return ctx.run("getMany profiles", async () => {
        const ids = checkBatch(userIds, limits, "getMany");
        if (ids.length === 0) return [];
        const { rows } = await sql<ProfileRow>`
          SELECT p.user_id, p.username, p.display_name, p.avatar, p.searchable, p.hide_last_seen,
            p.last_seen_at, p.updated_at
          FROM unnest(${ids}::text[]) WITH ORDINALITY AS o(id, ord)
          JOIN ${t.profiles} AS p ON p.user_id = o.id
          ORDER BY o.ord
        `.execute(db);
        return rows.map(toProfile);
      });
    },

    update(userId, patch, now) {
      return ctx.run("update profile", async () => {
        checkUserId(userId, "update");
        checkTime(now, "now");
        checkProfilePatch(patch, limits);
        // One upsert: a present field takes the new value, an absent one keeps the row's
        // (the default on insert); the search keys follow their fields.
        const keep = (field: keyof typeof patch, column: string) =>
          patch[field] === undefined ? sql.ref(`p.${column}`) : sql.ref(`excluded.${column}`);
        const username = patch.username === undefined ? d.username : patch.username;
        const displayName = patch.displayName ?? d.displayName;
        const { rows } = await sql<ProfileRow>`
          INSERT INTO ${t.profiles} AS p (user_id, username, display_name, avatar, searchable,
            hide_last_seen, last_seen_at, updated_at, name_key, username_key)
          VALUES (${userId}, ${username}, ${displayName},
            ${patch.avatar === undefined ? d.avatar : patch.avatar}, ${patch.searchable ?? d.searchable},
            ${patch.hideLastSeen ?? d.hideLastSeen}, NULL, ${new Date(now)}, ${searchKey(displayName)},
            ${username === null ? null : searchKey(username)})
          ON CONFLICT (user_id) DO UPDATE SET
            username = ${keep("username", "username")},
            username_key = ${keep("username", "username_key")},
            display_name = ${keep("displayName", "display_name")},
            name_key = ${keep("displayName", "name_key")},
            avatar = ${keep("avatar", "avatar")},
            searchable = ${keep("searchable", "searchable")},
            hide_last_seen = ${keep("hideLastSeen", "hide_last_seen")},
            updated_at = excluded.updated_at
          RETURNING ${COLUMNS}
        `.execute(db);
        return toProfile(rows[0]!);
      });
    },

    setLastSeen(userId, ts) {
      return ctx.run("setLastSeen", async () => {
        checkUserId(userId, "setLastSeen");
        checkTime(ts, "ts");
        const at = new Date(ts);
        await sql`
          INSERT INTO ${t.profiles} AS p (user_id, username, display_name, avatar, searchable,
            hide_last_seen, last_seen_at, updated_at, name_key, username_key)
          VALUES (${userId}, NULL, ${d.displayName}, NULL, ${d.searchable}, ${d.hideLastSeen}, ${at},
            ${at}, ${searchKey(d.displayName)}, NULL)
          ON CONFLICT (user_id) DO UPDATE SET last_seen_at = excluded.last_seen_at
          WHERE p.last_seen_at IS NULL OR p.last_seen_at < excluded.last_seen_at
        `.execute(db);
      });
    },

    search(query, options = {}) {
      return ctx.run("search profiles", async () => {
        const key = searchKey(checkSearchQuery(query, limits));
        const limit = pageLimit(options.limit, limits);
        const { after } = options;
        const { rows } = await sql<ProfileRow>`
          SELECT ${COLUMNS} FROM ${t.profiles}
          WHERE searchable AND (${prefixRange("name_key", key)} OR ${prefixRange("username_key", key)})
            ${after === undefined ? sql`` : sql`AND user_id COLLATE "C" > ${after}`}
          ORDER BY user_id COLLATE "C"
          LIMIT ${limit}
        `.execute(db);
        return rows.map(toProfile);
      });
    },
  };
}
