import {
  type BlockEntry,
  type Contact,
  type ContactRequest,
  type ContactStore,
  checkBatch,
  checkPrivacyPatch,
  checkText,
  checkTime,
  checkUserId,
  DEFAULT_PRIVACY_POLICY,
  ImError,
  type PrivacyPolicy,
  pageLimit,
  type Relation,
} from "@lucky-im/core";
import { type Kysely, sql } from "kysely";
import { type StoreContext, toMs } from "./context.js";
import type { Database } from "./database.js";
import { lockUsers } from "./people-locks.js";
import { storeError } from "./pg-errors.js";

interface RequestRow {
  from_id: string;
  to_id: string;
  message: string;
  created_at: Date;
  expires_at: Date;
  state: ContactRequest["state"];
}

function toRequest(row: RequestRow): ContactRequest {
  return {
    fromId: row.from_id,
    toId: row.to_id,
    message: row.message,
    createdAt: toMs(row.created_at),
    expiresAt: toMs(row.expires_at),
    state: row.state,
  };
}

interface ContactRow {
  user_id: string;
  contact_id: string;
  remark: string | null;
  since: Date;
}

function toContact(row: ContactRow): Contact {
  return {
    userId: row.user_id,
    contactId: row.contact_id,
    remark: row.remark,
    since: toMs(row.since),
  };
}

/** Two different, valid user ids. */
function pair(a: string, b: string, what: string): void {
  checkUserId(a, what);
  checkUserId(b, what);
  if (a === b) throw storeError("bad_request", `${what} needs two different users`);
}

/** @internal The PostgreSQL {@link ContactStore}. */
export function createPostgresContactStore(ctx: StoreContext): ContactStore {
  const t = ctx.tables;
  const db = ctx.db;
  const limits = ctx.options.people;
  const C = sql`COLLATE "C"`;

  /** Runs `fn` in one transaction holding the advisory locks of `userIds`. */
  function locked<T>(userIds: string[], fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return db.transaction().execute(async (trx) => {
      await lockUsers(trx, ctx.options.schema, userIds);
      return fn(trx);
    });
  }

  /** Moves the pending, unexpired request (from, to) to `state`; accepting adds the contact. */
  async function finish(
    trx: Kysely<Database>,
    fromId: string,
    toId: string,
    now: number,
    state: ContactRequest["state"],
  ): Promise<ContactRequest> {
    const { rows } = await sql<RequestRow>`
      UPDATE ${t.contact_requests} SET state = ${state}
      WHERE from_id = ${fromId} AND to_id = ${toId} AND state = 'pending' AND expires_at > ${new Date(now)}
      RETURNING *
    `.execute(trx);
    if (!rows[0]) throw storeError("not_found", `no pending request from "${fromId}" to "${toId}"`);
    if (state === "accepted") {
      await sql`
        INSERT INTO ${t.contacts} (user_id, contact_id, remark, since)
        VALUES (${fromId}, ${toId}, NULL, ${new Date(now)}), (${toId}, ${fromId}, NULL, ${new Date(now)})
        ON CONFLICT (user_id, contact_id) DO NOTHING
      `.execute(trx);
    }
    return toRequest(rows[0]);
  }

  return {
    sendRequest(input) {
      return ctx.run("sendRequest", async () => {
        const { fromId, toId } = input;
        pair(fromId, toId, "sendRequest");
        const now = checkTime(input.now, "now");
        const message = checkText(
          input.message ?? "",
          limits.maxRequestMessageLength,
          "request message",
        );
        const at = new Date(now);
        return locked([fromId, toId], async (trx) => {
          const { rows } = await sql<{
            blocked: boolean;
            contact: boolean;
            mine: boolean;
            theirs: boolean;
            pending: string;
          }>`
            SELECT
              EXISTS (SELECT 1 FROM ${t.blocks} WHERE (user_id = ${fromId} AND blocked_id = ${toId})
                OR (user_id = ${toId} AND blocked_id = ${fromId})) AS blocked,
              EXISTS (SELECT 1 FROM ${t.contacts} WHERE user_id = ${fromId} AND contact_id = ${toId}) AS contact,
              EXISTS (SELECT 1 FROM ${t.contact_requests} WHERE from_id = ${fromId} AND to_id = ${toId}
                AND state = 'pending' AND expires_at > ${at}) AS mine,
              EXISTS (SELECT 1 FROM ${t.contact_requests} WHERE from_id = ${toId} AND to_id = ${fromId}
                AND state = 'pending' AND expires_at > ${at}) AS theirs,
              (SELECT count(*) FROM ${t.contact_requests} WHERE from_id = ${fromId}
                AND state = 'pending' AND expires_at > ${at}) AS pending
          `.execute(trx);
          const facts = rows[0]!;
          if (facts.blocked) return { outcome: "blocked" as const };
          if (facts.contact) {
            throw storeError("conflict", `"${fromId}" and "${toId}" are contacts already`);
          }
          if (facts.mine) {
            throw storeError("conflict", `a request from "${fromId}" to "${toId}" is pending`);
          }
          if (facts.theirs) {
            return {
              outcome: "accepted" as const,
              request: await finish(trx, toId, fromId, now, "accepted"),
            };
          }
          if (Number(facts.pending) >= limits.maxPendingRequests) {
            throw new ImError(
              "conflict",
              `[lucky-im] [store-postgres] "${fromId}" has too many pending requests`,
              { details: { limit: limits.maxPendingRequests } },
            );
          }
          const expires = new Date(now + limits.requestTtlMs);
          const inserted = await sql<RequestRow>`
            INSERT INTO ${t.contact_requests} (from_id, to_id, message, created_at, expires_at, state)
            VALUES (${fromId}, ${toId}, ${message}, ${at}, ${expires}, 'pending')
            ON CONFLICT (from_id, to_id) DO UPDATE SET message = excluded.message,
              created_at = excluded.created_at, expires_at = excluded.expires_at, state = 'pending'
            RETURNING *
          `.execute(trx);
          return { outcome: "requested" as const, request: toRequest(inserted.rows[0]!) };
        });
      });
    },

    acceptRequest(toId, fromId, now) {
      return ctx.run("acceptRequest", async () => {
        pair(toId, fromId, "acceptRequest");
        checkTime(now, "now");
        return locked([fromId, toId], (trx) => finish(trx, fromId, toId, now, "accepted"));
      });
    },

    declineRequest(toId, fromId, now) {
      return ctx.run("declineRequest", async () => {
        pair(toId, fromId, "declineRequest");
        checkTime(now, "now");
        return locked([fromId, toId], (trx) => finish(trx, fromId, toId, now, "declined"));
      });
    },

    cancelRequest(fromId, toId, now) {
      return ctx.run("cancelRequest", async () => {
        pair(fromId, toId, "cancelRequest");
        checkTime(now, "now");
        return locked([fromId, toId], (trx) => finish(trx, fromId, toId, now, "cancelled"));
      });
    },

    request(fromId, toId) {
      return ctx.run("request", async () => {
        const { rows } = await sql<RequestRow>`
          SELECT * FROM ${t.contact_requests} WHERE from_id = ${fromId} AND to_id = ${toId}
        `.execute(db);
        return rows[0] && toRequest(rows[0]);
      });
    },

    requests(userId, direction, options) {
      return ctx.run("requests", async () => {
        checkUserId(userId, "requests");
        const now = checkTime(options.now, "now");
        const limit = pageLimit(options.limit, limits);
        const [mine, other] =
          direction === "incoming"
            ? [sql.ref("to_id"), sql.ref("from_id")]
            : [sql.ref("from_id"), sql.ref("to_id")];
        const { rows } = await sql<RequestRow>`
          SELECT * FROM ${t.contact_requests}
          WHERE ${mine} = ${userId} AND state = 'pending' AND expires_at > ${new Date(now)}
            ${options.after === undefined ? sql`` : sql`AND ${other} ${C} > ${options.after}`}
          ORDER BY ${other} ${C}
          LIMIT ${limit}
        `.execute(db);
        return rows.map(toRequest);
      });
    },

    removeContact(userId, contactId) {
      return ctx.run("removeContact", async () => {
        pair(userId, contactId, "removeContact");
        const { rows } = await sql<{ user_id: string }>`
          DELETE FROM ${t.contacts}
          WHERE (user_id = ${userId} AND contact_id = ${contactId})
             OR (user_id = ${contactId} AND contact_id = ${userId})
          RETURNING user_id
        `.execute(db);
        return rows.some((row) => row.user_id === userId);
      });
    },

    setRemark(userId, contactId, remark) {
      return ctx.run("setRemark", async () => {
        pair(userId, contactId, "setRemark");
        if (remark !== null) checkText(remark, limits.maxRemarkLength, "remark");
        const { numAffectedRows } = await sql`
          UPDATE ${t.contacts} SET remark = ${remark}
          WHERE user_id = ${userId} AND contact_id = ${contactId}
        `.execute(db);
        if (!numAffectedRows) {
          throw storeError("not_found", `"${contactId}" is not a contact of "${userId}"`);
        }
      });
    },

    contact(userId, contactId) {
      return ctx.run("contact", async () => {
        const { rows } = await sql<ContactRow>`
          SELECT * FROM ${t.contacts} WHERE user_id = ${userId} AND contact_id = ${contactId}
        `.execute(db);
        return rows[0] && toContact(rows[0]);
      });
    },

    contacts(userId, page = {}) {
      return ctx.run("contacts", async () => {
        checkUserId(userId, "contacts");
        const limit = pageLimit(page.limit, limits);
        const { rows } = await sql<ContactRow>`
          SELECT * FROM ${t.contacts} WHERE user_id = ${userId}
            ${page.after === undefined ? sql`` : sql`AND contact_id ${C} > ${page.after}`}
          ORDER BY contact_id ${C} LIMIT ${limit}
        `.execute(db);
        return rows.map(toContact);
      });
    },

    block(userId, blockedId, now) {
      return ctx.run("block", async () => {
        pair(userId, blockedId, "block");
        checkTime(now, "now");
        return locked([userId, blockedId], async (trx) => {
          const inserted = await sql`
            INSERT INTO ${t.blocks} (user_id, blocked_id, since) VALUES (${userId}, ${blockedId}, ${new Date(now)})
            ON CONFLICT (user_id, blocked_id) DO NOTHING
          `.execute(trx);
          if (!inserted.numAffectedRows) return false;
          await sql`
            DELETE FROM ${t.contacts}
            WHERE (user_id = ${userId} AND contact_id = ${blockedId})
               OR (user_id = ${blockedId} AND contact_id = ${userId})
          `.execute(trx);
          await sql`
            UPDATE ${t.contact_requests} SET state = 'cancelled'
            WHERE state = 'pending' AND ((from_id = ${userId} AND to_id = ${blockedId})
               OR (from_id = ${blockedId} AND to_id = ${userId}))
          `.execute(trx);
          return true;
        });
      });
    },

    unblock(userId, blockedId) {
      return ctx.run("unblock", async () => {
        pair(userId, blockedId, "unblock");
        const { numAffectedRows } = await sql`
          DELETE FROM ${t.blocks} WHERE user_id = ${userId} AND blocked_id = ${blockedId}
        `.execute(db);
        return Boolean(numAffectedRows);
      });
    },

    blocks(userId, page = {}) {
      return ctx.run("blocks", async () => {
        checkUserId(userId, "blocks");
        const limit = pageLimit(page.limit, limits);
        const { rows } = await sql<{ user_id: string; blocked_id: string; since: Date }>`
          SELECT * FROM ${t.blocks} WHERE user_id = ${userId}
            ${page.after === undefined ? sql`` : sql`AND blocked_id ${C} > ${page.after}`}
          ORDER BY blocked_id ${C} LIMIT ${limit}
        `.execute(db);
        return rows.map(
          (row): BlockEntry => ({
            userId: row.user_id,
            blockedId: row.blocked_id,
            since: toMs(row.since),
          }),
        );
      });
    },

    isBlocked(userId, otherId) {
      return ctx.run("isBlocked", async () => {
        const { rows } = await sql`
          SELECT 1 FROM ${t.blocks} WHERE user_id = ${userId} AND blocked_id = ${otherId}
        `.execute(db);
        return rows.length > 0;
      });
    },

    relations(viewerId, otherIds) {
      return ctx.run("relations", async () => {
        checkUserId(viewerId, "relations");
        const ids = checkBatch(otherIds, limits, "relations").filter((id) => id !== viewerId);
        if (ids.length === 0) return [];
        // One statement: primary-key probes per other user, in the order asked.
        const { rows } = await sql<{
          user_id: string;
          contact: boolean;
          blocked: boolean;
          blocked_by: boolean;
          direct_messages: PrivacyPolicy["directMessages"] | null;
          group_invites: PrivacyPolicy["groupInvites"] | null;
        }>`
          SELECT o.id AS user_id,
            EXISTS (SELECT 1 FROM ${t.contacts} AS c WHERE c.user_id = ${viewerId} AND c.contact_id = o.id) AS contact,
            EXISTS (SELECT 1 FROM ${t.blocks} AS b WHERE b.user_id = ${viewerId} AND b.blocked_id = o.id) AS blocked,
            EXISTS (SELECT 1 FROM ${t.blocks} AS b WHERE b.user_id = o.id AND b.blocked_id = ${viewerId}) AS blocked_by,
            p.direct_messages, p.group_invites
          FROM unnest(${ids}::text[]) WITH ORDINALITY AS o(id, ord)
          LEFT JOIN ${t.privacy_settings} AS p ON p.user_id = o.id
          ORDER BY o.ord
        `.execute(db);
        return rows.map(
          (row): Relation => ({
            userId: row.user_id,
            contact: row.contact,
            blocked: row.blocked,
            blockedBy: row.blocked_by,
            privacy: {
              directMessages: row.direct_messages ?? DEFAULT_PRIVACY_POLICY.directMessages,
              groupInvites: row.group_invites ?? DEFAULT_PRIVACY_POLICY.groupInvites,
            },
          }),
        );
      });
    },

    privacy(userId) {
      return ctx.run("privacy", async () => {
        const row = await db
          .selectFrom("privacy_settings")
          .select(["direct_messages", "group_invites"])
          .where("user_id", "=", userId)
          .executeTakeFirst();
        return row
          ? { directMessages: row.direct_messages, groupInvites: row.group_invites }
          : { ...DEFAULT_PRIVACY_POLICY };
      });
    },

    setPrivacy(userId, patch) {
      return ctx.run("setPrivacy", async () => {
        checkUserId(userId, "setPrivacy");
        const { directMessages, groupInvites } = checkPrivacyPatch(patch);
        // One upsert: absent fields keep the stored value (or the default on insert).
        const { rows } = await sql<{
          direct_messages: PrivacyPolicy["directMessages"];
          group_invites: PrivacyPolicy["groupInvites"];
        }>`
          INSERT INTO ${t.privacy_settings} AS p (user_id, direct_messages, group_invites)
          VALUES (${userId}, ${directMessages ?? DEFAULT_PRIVACY_POLICY.directMessages},
                  ${groupInvites ?? DEFAULT_PRIVACY_POLICY.groupInvites})
          ON CONFLICT (user_id) DO UPDATE SET
            direct_messages = ${directMessages === undefined ? sql`p.direct_messages` : sql`excluded.direct_messages`},
            group_invites = ${groupInvites === undefined ? sql`p.group_invites` : sql`excluded.group_invites`}
          RETURNING direct_messages, group_invites
        `.execute(db);
        const row = rows[0]!;
        return { directMessages: row.direct_messages, groupInvites: row.group_invites };
      });
    },
  };
}
