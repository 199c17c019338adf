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
import { sql } from "kysely";
import type { StoreContext } from "./context.js";
import type { BlockTable, ContactRequestTable, ContactTable } from "./database.js";
import { storeError } from "./sqlite-errors.js";

function toRequest(row: ContactRequestTable): ContactRequest {
  return {
    fromId: row.from_id,
    toId: row.to_id,
    message: row.message,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    state: row.state,
  };
}

function toContact(row: ContactTable): Contact {
  return { userId: row.user_id, contactId: row.contact_id, remark: row.remark, since: row.since };
}

/** Two different, valid user ids. */
function pair(a: string, b: string, what: string): void {
  checkUserId(a, what);
  checkUserId(b, what);
  if (a === b) throw storeError("bad_request", `${what} needs two different users`);
}

/**
 * @internal The SQLite {@link ContactStore}. Every write runs start to end in one
 * `BEGIN IMMEDIATE` transaction, which holds the database's write lock: writes of
 * all connections serialize, so the checks read inside a write stay true until it commits.
 */
export function createSqliteContactStore(ctx: StoreContext): ContactStore {
  const { db, exec } = ctx;
  const limits = ctx.options.people;

  /** Moves the pending, unexpired request (from, to) to `state`; accepting adds the contact. */
  function finish(
    fromId: string,
    toId: string,
    now: number,
    state: ContactRequest["state"],
  ): ContactRequest {
    const row = exec.first(
      sql<ContactRequestTable>`
        UPDATE contact_requests SET state = ${state}
        WHERE from_id = ${fromId} AND to_id = ${toId} AND state = 'pending' AND expires_at > ${now}
        RETURNING *
      `.compile(db),
    );
    if (!row) throw storeError("not_found", `no pending request from "${fromId}" to "${toId}"`);
    if (state === "accepted") {
      exec.run(
        sql`
          INSERT INTO contacts (user_id, contact_id, remark, since)
          VALUES (${fromId}, ${toId}, NULL, ${now}), (${toId}, ${fromId}, NULL, ${now})
          ON CONFLICT (user_id, contact_id) DO NOTHING
        `.compile(db),
      );
    }
    return toRequest(row);
  }

  const finishing = (
    what: string,
    fromId: string,
    toId: string,
    now: number,
    state: ContactRequest["state"],
  ) =>
    ctx.run(what, () => {
      pair(fromId, toId, what);
      checkTime(now, "now");
      return exec.transaction(() => finish(fromId, toId, now, state));
    });

  return {
    sendRequest(input) {
      return ctx.run("sendRequest", () => {
        const { fromId, toId } = input;
        pair(fromId, toId, "sendRequest");
        const now = checkTime(input.now, "now");
        const message = checkText(
          input.message ?? "",
          limits.maxRequestMessageLength,
          "request message",
        );
        return exec.transaction(() => {
          const facts = exec.first(
            sql<{
              blocked: number;
              contact: number;
              mine: number;
              theirs: number;
              pending: number;
            }>`
              SELECT
                EXISTS (SELECT 1 FROM blocks WHERE (user_id = ${fromId} AND blocked_id = ${toId})
                  OR (user_id = ${toId} AND blocked_id = ${fromId})) AS blocked,
                EXISTS (SELECT 1 FROM contacts WHERE user_id = ${fromId} AND contact_id = ${toId}) AS contact,
                EXISTS (SELECT 1 FROM contact_requests WHERE from_id = ${fromId} AND to_id = ${toId}
                  AND state = 'pending' AND expires_at > ${now}) AS mine,
                EXISTS (SELECT 1 FROM contact_requests WHERE from_id = ${toId} AND to_id = ${fromId}
                  AND state = 'pending' AND expires_at > ${now}) AS theirs,
                (SELECT count(*) FROM contact_requests WHERE from_id = ${fromId}
                  AND state = 'pending' AND expires_at > ${now}) AS pending
            `.compile(db),
          )!;
          if (facts.blocked) return { outcome: "blocked" as const };
          if (facts.contact) {
            throw storeError("conflict", `"${fromId}" and "${toId}" are contacts already`);
          }
          if (facts.mine) {
            throw storeError("conflict", `a request from "${fromId}" to "${toId}" is pending`);
          }
          if (facts.theirs) {
            return { outcome: "accepted" as const, request: finish(toId, fromId, now, "accepted") };
          }
          if (facts.pending >= limits.maxPendingRequests) {
            throw new ImError(
              "conflict",
              `[lucky-im] [store-sqlite] "${fromId}" has too many pending requests`,
              { details: { limit: limits.maxPendingRequests } },
            );
          }
          const row = exec.first(
            sql<ContactRequestTable>`
              INSERT INTO contact_requests (from_id, to_id, message, created_at, expires_at, state)
              VALUES (${fromId}, ${toId}, ${message}, ${now}, ${now + limits.requestTtlMs}, 'pending')
              ON CONFLICT (from_id, to_id) DO UPDATE SET message = excluded.message,
                created_at = excluded.created_at, expires_at = excluded.expires_at, state = 'pending'
              RETURNING *
            `.compile(db),
          )!;
          return { outcome: "requested" as const, request: toRequest(row) };
        });
      });
    },

    acceptRequest: (toId, fromId, now) => finishing("acceptRequest", fromId, toId, now, "accepted"),
    declineRequest: (toId, fromId, now) =>
      finishing("declineRequest", fromId, toId, now, "declined"),
    cancelRequest: (fromId, toId, now) =>
      finishing("cancelRequest", fromId, toId, now, "cancelled"),

    request(fromId, toId) {
      return ctx.run("request", () => {
        const row = exec.first(
          sql<ContactRequestTable>`
            SELECT * FROM contact_requests WHERE from_id = ${fromId} AND to_id = ${toId}
          `.compile(db),
        );
        return row && toRequest(row);
      });
    },

    requests(userId, direction, options) {
      return ctx.run("requests", () => {
        checkUserId(userId, "requests");
        const now = checkTime(options.now, "now");
        const limit = pageLimit(options.limit, limits);
        const [mine, other] =
          direction === "incoming"
            ? [sql.ref("to_id"), sql.ref("from_id")]
            : [sql.ref("from_id"), sql.ref("to_id")];
        return exec
          .all(
            sql<ContactRequestTable>`
              SELECT * FROM contact_requests
              WHERE ${mine} = ${userId} AND state = 'pending' AND expires_at > ${now}
                ${options.after === undefined ? sql`` : sql`AND ${other} > ${options.after}`}
              ORDER BY ${other} LIMIT ${limit}
            `.compile(db),
          )
          .map(toRequest);
      });
    },

    removeContact(userId, contactId) {
      return ctx.run("removeContact", () => {
        pair(userId, contactId, "removeContact");
        const rows = exec.all(
          sql<{ user_id: string }>`
            DELETE FROM contacts
            WHERE (user_id = ${userId} AND contact_id = ${contactId})
               OR (user_id = ${contactId} AND contact_id = ${userId})
            RETURNING user_id
          `.compile(db),
        );
        return rows.some((row) => row.user_id === userId);
      });
    },

    setRemark(userId, contactId, remark) {
      return ctx.run("setRemark", () => {
        pair(userId, contactId, "setRemark");
        if (remark !== null) checkText(remark, limits.maxRemarkLength, "remark");
        const changed = exec.run(
          db
            .updateTable("contacts")
            .set({ remark })
            .where("user_id", "=", userId)
            .where("contact_id", "=", contactId),
        );
        if (changed === 0) {
          throw storeError("not_found", `"${contactId}" is not a contact of "${userId}"`);
        }
      });
    },

    contact(userId, contactId) {
      return ctx.run("contact", () => {
        const row = exec.first(
          db
            .selectFrom("contacts")
            .selectAll()
            .where("user_id", "=", userId)
            .where("contact_id", "=", contactId),
        );
        return row && toContact(row);
      });
    },

    contacts(userId, page = {}) {
      return ctx.run("contacts", () => {
        checkUserId(userId, "contacts");
        const limit = pageLimit(page.limit, limits);
        let query = db.selectFrom("contacts").selectAll().where("user_id", "=", userId);
        if (page.after !== undefined) query = query.where("contact_id", ">", page.after);
        return exec.all(query.orderBy("contact_id").limit(limit)).map(toContact);
      });
    },

    block(userId, blockedId, now) {
      return ctx.run("block", () => {
        pair(userId, blockedId, "block");
        checkTime(now, "now");
        return exec.transaction(() => {
          const inserted = exec.run(
            db
              .insertInto("blocks")
              .values({ user_id: userId, blocked_id: blockedId, since: now })
              .onConflict((oc) => oc.doNothing()),
          );
          if (inserted === 0) return false;
          exec.run(
            sql`
              DELETE FROM contacts
              WHERE (user_id = ${userId} AND contact_id = ${blockedId})
                 OR (user_id = ${blockedId} AND contact_id = ${userId})
            `.compile(db),
          );
          exec.run(
            sql`
              UPDATE contact_requests SET state = 'cancelled'
              WHERE state = 'pending' AND ((from_id = ${userId} AND to_id = ${blockedId})
                 OR (from_id = ${blockedId} AND to_id = ${userId}))
            `.compile(db),
          );
          return true;
        });
      });
    },

    unblock(userId, blockedId) {
      return ctx.run("unblock", () => {
        pair(userId, blockedId, "unblock");
        return (
          exec.run(
            db
              .deleteFrom("blocks")
              .where("user_id", "=", userId)
              .where("blocked_id", "=", blockedId),
          ) > 0
        );
      });
    },

    blocks(userId, page = {}) {
      return ctx.run("blocks", () => {
        checkUserId(userId, "blocks");
        const limit = pageLimit(page.limit, limits);
        let query = db.selectFrom("blocks").selectAll().where("user_id", "=", userId);
        if (page.after !== undefined) query = query.where("blocked_id", ">", page.after);
        return exec.all(query.orderBy("blocked_id").limit(limit)).map(
          (row: BlockTable): BlockEntry => ({
            userId: row.user_id,
            blockedId: row.blocked_id,
            since: row.since,
          }),
        );
      });
    },

    isBlocked(userId, otherId) {
      return ctx.run("isBlocked", () => {
        const row = exec.first(
          db
            .selectFrom("blocks")
            .select("since")
            .where("user_id", "=", userId)
            .where("blocked_id", "=", otherId),
        );
        return row !== undefined;
      });
    },

    relations(viewerId, otherIds) {
      return ctx.run("relations", () => {
        checkUserId(viewerId, "relations");
        const ids = checkBatch(otherIds, limits, "relations").filter((id) => id !== viewerId);
        if (ids.length === 0) return [];
        // One statement: primary-key probes per other user, in the order asked.
        const rows = exec.all(
          sql<{
            user_id: string;
            contact: number;
            blocked: number;
            blocked_by: number;
            direct_messages: PrivacyPolicy["directMessages"] | null;
            group_invites: PrivacyPolicy["groupInvites"] | null;
          }>`
            SELECT o.value AS user_id,
              EXISTS (SELECT 1 FROM contacts AS c WHERE c.user_id = ${viewerId} AND c.contact_id = o.value) AS contact,
              EXISTS (SELECT 1 FROM blocks AS b WHERE b.user_id = ${viewerId} AND b.blocked_id = o.value) AS blocked,
              EXISTS (SELECT 1 FROM blocks AS b WHERE b.user_id = o.value AND b.blocked_id = ${viewerId}) AS blocked_by,
              p.direct_messages, p.group_invites
            FROM json_each(${JSON.stringify(ids)}) AS o
            LEFT JOIN privacy_settings AS p ON p.user_id = o.value
            ORDER BY o.key
          `.compile(db),
        );
        return rows.map(
          (row): Relation => ({
            userId: row.user_id,
            contact: row.contact === 1,
            blocked: row.blocked === 1,
            blockedBy: row.blocked_by === 1,
            privacy: {
              directMessages: row.direct_messages ?? DEFAULT_PRIVACY_POLICY.directMessages,
              groupInvites: row.group_invites ?? DEFAULT_PRIVACY_POLICY.groupInvites,
            },
          }),
        );
      });
    },

    privacy(userId) {
      return ctx.run("privacy", () => {
        const row = exec.first(
          db
            .selectFrom("privacy_settings")
            .select(["direct_messages", "group_invites"])
            .where("user_id", "=", userId),
        );
        return row
          ? { directMessages: row.direct_messages, groupInvites: row.group_invites }
          : { ...DEFAULT_PRIVACY_POLICY };
      });
    },

    setPrivacy(userId, patch) {
      return ctx.run("setPrivacy", () => {
        checkUserId(userId, "setPrivacy");
        const { directMessages, groupInvites } = checkPrivacyPatch(patch);
        return exec.transaction(() => {
          const current = exec.first(
            db
              .selectFrom("privacy_settings")
              .select(["direct_messages", "group_invites"])
              .where("user_id", "=", userId),
          );
          const next: PrivacyPolicy = {
            directMessages:
              directMessages ?? current?.direct_messages ?? DEFAULT_PRIVACY_POLICY.directMessages,
            groupInvites:
              groupInvites ?? current?.group_invites ?? DEFAULT_PRIVACY_POLICY.groupInvites,
          };
          exec.run(
            db
              .insertInto("privacy_settings")
              .values({
                user_id: userId,
                direct_messages: next.directMessages,
                group_invites: next.groupInvites,
              })
              .onConflict((oc) =>
                oc.column("user_id").doUpdateSet({
                  direct_messages: next.directMessages,
                  group_invites: next.groupInvites,
                }),
              ),
          );
          return next;
        });
      });
    },
  };
}
