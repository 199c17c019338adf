import type {
  BlockEntry,
  Contact,
  ContactRequest,
  PeoplePage,
  PrivacyPatch,
  PrivacyPolicy,
} from "../domain/contact.js";

/** What {@link ContactOperations.request} did. */
export interface ContactRequestOutcome {
  /**
   * `requested`: the request is pending. `accepted`: the other user had asked first, so
   * the two are contacts now (`request` is that other request).
   */
  outcome: "requested" | "accepted";
  /** The request as stored. */
  request: ContactRequest;
}

/**
 * Contacts, contact requests, blocks and privacy for the host application (its HTTP API
 * calls these), as `im.contacts`. Each change is written to `storage.contacts`, drops the
 * cached relation of the pair on every node (so a block or a privacy change holds for
 * senders on every node at once) and sends a `contact` frame: to both users' devices for
 * requests and contacts, to the acting user's own devices only for a remark, a block, an
 * unblock and a privacy change (a block is never revealed to the blocked user).
 *
 * Refusals: `forbidden` for a request to (or from) a user who blocked the other, with the
 * message of any other refusal; the store's `conflict`, `not_found` and `bad_request`
 * otherwise (see `ContactStore`); `rate_limited` past `limits.contactRequestsPerWindow`.
 * The engine does not know which user ids exist: the host checks them first (the example
 * server answers 404 for an unknown user).
 */
export interface ContactOperations {
  /** `fromId` asks `toId` to become contacts, with an optional short message. */
  request(fromId: string, toId: string, message?: string): Promise<ContactRequestOutcome>;
  /** `userId` accepts the pending request from `fromId`: the two become contacts. */
  accept(userId: string, fromId: string): Promise<ContactRequest>;
  /** `userId` declines the pending request from `fromId`. */
  decline(userId: string, fromId: string): Promise<ContactRequest>;
  /** `userId` withdraws its pending request to `toId`. */
  cancel(userId: string, toId: string): Promise<ContactRequest>;
  /** Ends the contact both ways; resolves true when they were contacts. */
  remove(userId: string, contactId: string): Promise<boolean>;
  /** Sets (or clears with null) `userId`'s private remark for `contactId` (`not_found` when not contacts). */
  setRemark(userId: string, contactId: string, remark: string | null): Promise<void>;
  /** `userId`'s side of the contact with `contactId`, or undefined. */
  contact(userId: string, contactId: string): Promise<Contact | undefined>;
  /** The user's contacts, ascending by contact id. */
  list(userId: string, page?: PeoplePage): Promise<Contact[]>;
  /** The user's pending requests, `incoming` or `outgoing`, ascending by the other user's id. */
  requests(
    userId: string,
    direction: "incoming" | "outgoing",
    page?: PeoplePage,
  ): Promise<ContactRequest[]>;
  /** `userId` blocks `otherId` (ends their contact and pending requests); true when the block is new. */
  block(userId: string, otherId: string): Promise<boolean>;
  /** Lifts a block; true when there was one. */
  unblock(userId: string, otherId: string): Promise<boolean>;
  /** Whom the user blocked, ascending by blocked id. */
  blocks(userId: string, page?: PeoplePage): Promise<BlockEntry[]>;
  /** The user's privacy policy. */
  privacy(userId: string): Promise<PrivacyPolicy>;
  /** Changes the fields present in `patch`; resolves with the whole policy. */
  setPrivacy(userId: string, patch: PrivacyPatch): Promise<PrivacyPolicy>;
}
