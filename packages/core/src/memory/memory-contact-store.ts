import type { ContactStore } from "../contracts/contact-store.js";
import {
  type BlockEntry,
  type Contact,
  type ContactRequest,
  DEFAULT_PRIVACY_POLICY,
  type Relation,
} from "../domain/contact.js";
import {
  checkBatch,
  checkPrivacyPatch,
  checkText,
  checkTime,
  checkUserId,
  type PeopleLimits,
  pageLimit,
} from "../domain/people-limits.js";
import { ImError } from "../errors.js";
import { type MemoryPeopleState, pageBy, requestKey } from "./memory-people-state.js";

/** @internal What the memory contact store needs from its storage. */
export interface MemoryContactStoreContext {
  people: MemoryPeopleState;
  limits: PeopleLimits;
}

const PREFIX = "[lucky-im] [core] contacts:";

/** Two different users; `bad_request` for one user twice. */
function pair(a: string, b: string, what: string): void {
  checkUserId(a, what);
  checkUserId(b, what);
  if (a === b) throw new ImError("bad_request", `${PREFIX} ${what} needs two different users`);
}

/** @internal The in-memory {@link ContactStore}. Every method runs without awaiting: atomic. */
export function createMemoryContactStore(context: MemoryContactStoreContext): ContactStore {
  const { people, limits } = context;

  const pendingRequest = (fromId: string, toId: string, now: number) => {
    const request = people.requests.get(requestKey(fromId, toId));
    return request?.state === "pending" && request.expiresAt > now ? request : undefined;
  };
  const isContact = (a: string, b: string) => people.contacts.get(a)?.has(b) ?? false;
  const blocked = (a: string, b: string) => people.blocks.get(a)?.has(b) ?? false;
  const addSide = (userId: string, contactId: string, since: number) => {
    let mine = people.contacts.get(userId);
    if (!mine) {
      mine = new Map();
      people.contacts.set(userId, mine);
    }
    mine.set(contactId, { userId, contactId, remark: null, since });
  };
  const removeSide = (userId: string, contactId: string): boolean => {
    const mine = people.contacts.get(userId);
    const had = mine?.delete(contactId) ?? false;
    if (mine?.size === 0) people.contacts.delete(userId);
    return had;
  };
  const finish = (
    fromId: string,
    toId: string,
    now: number,
    state: ContactRequest["state"],
  ): ContactRequest => {
    const request = pendingRequest(fromId, toId, now);
    if (!request) {
      throw new ImError("not_found", `${PREFIX} no pending request from "${fromId}" to "${toId}"`);
    }
    request.state = state;
    if (state === "accepted") {
      addSide(fromId, toId, now);
      addSide(toId, fromId, now);
    }
    return { ...request };
  };

  return {
    async sendRequest(input) {
      const { fromId, toId } = input;
      pair(fromId, toId, "sendRequest");
      const now = checkTime(input.now, "now");
      const message = checkText(
        input.message ?? "",
        limits.maxRequestMessageLength,
        "request message",
      );
      if (blocked(toId, fromId) || blocked(fromId, toId)) return { outcome: "blocked" };
      if (isContact(fromId, toId)) {
        throw new ImError("conflict", `${PREFIX} "${fromId}" and "${toId}" are contacts already`);
      }
      if (pendingRequest(fromId, toId, now)) {
        throw new ImError(
          "conflict",
          `${PREFIX} a request from "${fromId}" to "${toId}" is pending`,
        );
      }
      if (pendingRequest(toId, fromId, now)) {
        return { outcome: "accepted", request: finish(toId, fromId, now, "accepted") };
      }
      let pending = 0;
      for (const request of people.requests.values()) {
        if (request.fromId === fromId && request.state === "pending" && request.expiresAt > now) {
          pending++;
        }
      }
      if (pending >= limits.maxPendingRequests) {
        throw new ImError("conflict", `${PREFIX} "${fromId}" has too many pending requests`, {
          details: { limit: limits.maxPendingRequests },
        });
      }
      const request: ContactRequest = {
        fromId,
        toId,
        message,
        createdAt: now,
        expiresAt: now + limits.requestTtlMs,
        state: "pending",
      };
      people.requests.set(requestKey(fromId, toId), request);
      return { outcome: "requested", request: { ...request } };
    },

    async acceptRequest(toId, fromId, now) {
      pair(toId, fromId, "acceptRequest");
      return finish(fromId, toId, checkTime(now, "now"), "accepted");
    },

    async declineRequest(toId, fromId, now) {
      pair(toId, fromId, "declineRequest");
      return finish(fromId, toId, checkTime(now, "now"), "declined");
    },

    async cancelRequest(fromId, toId, now) {
      pair(fromId, toId, "cancelRequest");
      return finish(fromId, toId, checkTime(now, "now"), "cancelled");
    },

    async request(fromId, toId) {
      const request = people.requests.get(requestKey(fromId, toId));
      return request && { ...request };
    },

    async requests(userId, direction, options) {
      checkUserId(userId, "requests");
      const now = checkTime(options.now, "now");
      const limit = pageLimit(options.limit, limits);
      const mine = [...people.requests.values()].filter(
        (r) =>
          (direction === "incoming" ? r.toId : r.fromId) === userId &&
          r.state === "pending" &&
          r.expiresAt > now,
      );
      const other = (r: ContactRequest) => (direction === "incoming" ? r.fromId : r.toId);
      return pageBy(mine, other, options.after, limit).map((r) => ({ ...r }));
    },

    async removeContact(userId, contactId) {
      pair(userId, contactId, "removeContact");
      const had = removeSide(userId, contactId);
      removeSide(contactId, userId);
      return had;
    },

    async setRemark(userId, contactId, remark) {
      pair(userId, contactId, "setRemark");
      if (remark !== null) checkText(remark, limits.maxRemarkLength, "remark");
      const contact = people.contacts.get(userId)?.get(contactId);
      if (!contact) {
        throw new ImError("not_found", `${PREFIX} "${contactId}" is not a contact of "${userId}"`);
      }
      contact.remark = remark;
    },

    async contact(userId, contactId) {
      const contact = people.contacts.get(userId)?.get(contactId);
      return contact && { ...contact };
    },

    async contacts(userId, page = {}) {
      checkUserId(userId, "contacts");
      const limit = pageLimit(page.limit, limits);
      const mine = people.contacts.get(userId)?.values() ?? [];
      return pageBy(mine, (c: Contact) => c.contactId, page.after, limit).map((c) => ({ ...c }));
    },

    async block(userId, blockedId, now) {
      pair(userId, blockedId, "block");
      checkTime(now, "now");
      if (blocked(userId, blockedId)) return false;
      let mine = people.blocks.get(userId);
      if (!mine) {
        mine = new Map();
        people.blocks.set(userId, mine);
      }
      mine.set(blockedId, { userId, blockedId, since: now });
      removeSide(userId, blockedId);
      removeSide(blockedId, userId);
      for (const [fromId, toId] of [
        [userId, blockedId],
        [blockedId, userId],
      ] as const) {
        const request = people.requests.get(requestKey(fromId, toId));
        if (request?.state === "pending") request.state = "cancelled";
      }
      return true;
    },

    async unblock(userId, blockedId) {
      pair(userId, blockedId, "unblock");
      const mine = people.blocks.get(userId);
      const had = mine?.delete(blockedId) ?? false;
      if (mine?.size === 0) people.blocks.delete(userId);
      return had;
    },

    async blocks(userId, page = {}) {
      checkUserId(userId, "blocks");
      const limit = pageLimit(page.limit, limits);
      const mine = people.blocks.get(userId)?.values() ?? [];
      return pageBy(mine, (b: BlockEntry) => b.blockedId, page.after, limit).map((b) => ({
        ...b,
      }));
    },

    async isBlocked(userId, otherId) {
      return blocked(userId, otherId);
    },

    async relations(viewerId, otherIds) {
      checkUserId(viewerId, "relations");
      return checkBatch(otherIds, limits, "relations")
        .filter((id) => id !== viewerId)
        .map(
          (userId): Relation => ({
            userId,
            contact: isContact(viewerId, userId),
            blocked: blocked(viewerId, userId),
            blockedBy: blocked(userId, viewerId),
            privacy: { ...(people.privacy.get(userId) ?? DEFAULT_PRIVACY_POLICY) },
          }),
        );
    },

    async privacy(userId) {
      return { ...(people.privacy.get(userId) ?? DEFAULT_PRIVACY_POLICY) };
    },

    async setPrivacy(userId, patch) {
      checkUserId(userId, "setPrivacy");
      const { directMessages, groupInvites } = checkPrivacyPatch(patch);
      const current = people.privacy.get(userId) ?? DEFAULT_PRIVACY_POLICY;
      const next = {
        directMessages: directMessages ?? current.directMessages,
        groupInvites: groupInvites ?? current.groupInvites,
      };
      people.privacy.set(userId, next);
      return { ...next };
    },
  };
}
