import type {
  BlockEntry,
  Contact,
  ContactRequest,
  PeoplePage,
  PrivacyPatch,
  PrivacyPolicy,
  Relation,
  SendRequestResult,
} from "../domain/contact.js";

/** What sending a contact request needs. */
export interface NewContactRequest {
  /** Who asks. */
  fromId: string;
  /** Who is asked. */
  toId: string;
  /** A short message (at most `maxRequestMessageLength` code points). @default "" */
  message?: string;
  /** The current time (ms since epoch): the request's `createdAt`; it expires `requestTtlMs` later. */
  now: number;
}

/**
 * Contacts, contact requests, blocks and the privacy policy of each user.
 *
 * Rules every adapter keeps (the conformance suite checks them):
 * - Every write is one transaction; writes touching a pair of users are
 *   serialized per pair, so two concurrent accepts (or two users asking each
 *   other at once) leave one consistent outcome.
 * - A request is pending until accepted, declined, cancelled or expired
 *   (`expiresAt <= now`); an expired request counts as gone everywhere: it
 *   cannot be accepted, is not listed, does not count towards the pending
 *   limit, and a new request replaces it.
 * - Contacts are symmetric: two rows, one per side, each with its own remark.
 * - A block ends the contact and every pending request between the two.
 * - Bad input rejects with `ImError("bad_request")` (empty ids, a request or
 *   block to oneself, texts over the limits, unknown policy values, a page
 *   `limit` under 1); the other codes are given per method.
 */
export interface ContactStore {
  /**
   * Sends a contact request from `fromId` to `toId`.
   *
   * - One of the two blocked the other: resolves `{ outcome: "blocked" }`, writes nothing.
   * - `toId` has a pending request to `fromId`: that request is accepted instead (the two
   *   become contacts), resolves `{ outcome: "accepted", request }`.
   * - Otherwise stores a pending request (replacing an earlier non-pending or expired one
   *   from `fromId` to `toId`) and resolves `{ outcome: "requested", request }`.
   *
   * Rejects with `conflict` when the two are contacts already, when `fromId` has a pending
   * request to `toId` (a duplicate), or when `fromId` has `maxPendingRequests` pending
   * requests (`details.limit` holds the limit); `bad_request` for a request to oneself or a
   * message over `maxRequestMessageLength`.
   */
  sendRequest(request: NewContactRequest): Promise<SendRequestResult>;
  /**
   * `toId` accepts the pending request from `fromId`: the request becomes `accepted` and
   * the two become contacts (both rows, no remark, `since = now`), in one transaction.
   * Resolves with the request as stored. Rejects with `not_found` when there is no pending,
   * unexpired request from `fromId` to `toId` (also for the loser of two concurrent accepts).
   */
  acceptRequest(toId: string, fromId: string, now: number): Promise<ContactRequest>;
  /**
   * `toId` declines the pending request from `fromId` (state `declined`). Resolves with the
   * request; `not_found` when there is no pending, unexpired request.
   */
  declineRequest(toId: string, fromId: string, now: number): Promise<ContactRequest>;
  /**
   * `fromId` cancels its pending request to `toId` (state `cancelled`). Resolves with the
   * request; `not_found` when there is no pending, unexpired request.
   */
  cancelRequest(fromId: string, toId: string, now: number): Promise<ContactRequest>;
  /** The stored request from `fromId` to `toId` in any state (an expired one is still `pending`), or undefined. */
  request(fromId: string, toId: string): Promise<ContactRequest | undefined>;
  /**
   * The user's pending, unexpired requests: `incoming` (to the user) or `outgoing` (from the
   * user), ascending by the other user's id, paged with `after` = the last other user's id.
   */
  requests(
    userId: string,
    direction: "incoming" | "outgoing",
    options: PeoplePage & {
      /** The current time: requests expired at it are left out. */
      now: number;
    },
  ): Promise<ContactRequest[]>;
  /** Ends the contact both ways. Resolves true when they were contacts. */
  removeContact(userId: string, contactId: string): Promise<boolean>;
  /**
   * Sets (or clears with null) `userId`'s private remark for `contactId`; the other side's
   * remark is untouched. `not_found` when they are not contacts; `bad_request` over
   * `maxRemarkLength`.
   */
  setRemark(userId: string, contactId: string, remark: string | null): Promise<void>;
  /** `userId`'s side of the contact with `contactId`, or undefined when they are not contacts. */
  contact(userId: string, contactId: string): Promise<Contact | undefined>;
  /** The user's contacts, ascending by contact id, paged with `after` = the last contact id. */
  contacts(userId: string, page?: PeoplePage): Promise<Contact[]>;
  /**
   * `userId` blocks `blockedId` (`bad_request` for oneself). In the same transaction, ends
   * their contact and cancels every pending request between the two (both directions).
   * Resolves true when the block is new, false when it existed (nothing else changes then).
   */
  block(userId: string, blockedId: string, now: number): Promise<boolean>;
  /** Lifts a block; resolves true when there was one. The contact does not come back. */
  unblock(userId: string, blockedId: string): Promise<boolean>;
  /** Whom the user blocked, ascending by blocked id, paged with `after` = the last blocked id. */
  blocks(userId: string, page?: PeoplePage): Promise<BlockEntry[]>;
  /** True when `userId` blocked `otherId`. */
  isBlocked(userId: string, otherId: string): Promise<boolean>;
  /**
   * The hot-path read: for each of `otherIds` (deduplicated, in the order given, at most
   * `maxBatch`; `viewerId` itself is left out), whether the two are contacts, who blocked
   * whom and the other's privacy policy, in ONE round trip to the backing store. A direct
   * send asks `relations(sender, [recipient])`; adding members asks
   * `relations(adder, memberIds)`. Users the store never heard of get
   * `{ contact: false, blocked: false, blockedBy: false, privacy: DEFAULT_PRIVACY_POLICY }`.
   * The engine may cache the answer per pair and drop it on any write between the two.
   */
  relations(viewerId: string, otherIds: readonly string[]): Promise<Relation[]>;
  /** The user's privacy policy (`DEFAULT_PRIVACY_POLICY` when never set). */
  privacy(userId: string): Promise<PrivacyPolicy>;
  /** Changes the fields present in `patch`; resolves with the whole policy now stored. */
  setPrivacy(userId: string, patch: PrivacyPatch): Promise<PrivacyPolicy>;
}
