/** Where a contact request stands. Only `pending` requests can be accepted, declined or cancelled. */
export type ContactRequestState = "pending" | "accepted" | "declined" | "cancelled";

/** A contact request from one user to another. At most one request is stored per (from, to). */
export interface ContactRequest {
  /** Who asked. */
  fromId: string;
  /** Who is asked. */
  toId: string;
  /** The short message sent with the request (`""` when none). */
  message: string;
  /** When it was sent (ms since epoch). */
  createdAt: number;
  /** When a pending request lapses (ms since epoch): from then on it is treated as gone. */
  expiresAt: number;
  /** Where it stands. */
  state: ContactRequestState;
}

/** One side of a contact: contacts are stored both ways, each side with its own remark. */
export interface Contact {
  /** The user whose contact list this entry belongs to. */
  userId: string;
  /** The other user. */
  contactId: string;
  /** `userId`'s private display name for `contactId`, or null. */
  remark: string | null;
  /** When the two became contacts (ms since epoch). */
  since: number;
}

/** A block: `userId` blocked `blockedId`. */
export interface BlockEntry {
  /** Who blocked. */
  userId: string;
  /** Who is blocked. */
  blockedId: string;
  /** When (ms since epoch). */
  since: number;
}

/** Who may start a direct conversation with a user. */
export type DirectMessagePolicy = "anyone" | "contacts";

/** Who may add a user to a group (`nobody`: only through an invite the user accepts). */
export type GroupInvitePolicy = "anyone" | "contacts" | "nobody";

/** A user's privacy policy. */
export interface PrivacyPolicy {
  /** Who may start a direct conversation with the user. */
  directMessages: DirectMessagePolicy;
  /** Who may add the user to a group. */
  groupInvites: GroupInvitePolicy;
}

/** The fields of a {@link PrivacyPolicy} to change. */
export type PrivacyPatch = Partial<PrivacyPolicy>;

/** The policy of a user who never set one. */
export const DEFAULT_PRIVACY_POLICY: Readonly<PrivacyPolicy> = Object.freeze({
  directMessages: "anyone",
  groupInvites: "anyone",
});

/** Every {@link DirectMessagePolicy}. */
export const DIRECT_MESSAGE_POLICIES: readonly DirectMessagePolicy[] = ["anyone", "contacts"];

/** Every {@link GroupInvitePolicy}. */
export const GROUP_INVITE_POLICIES: readonly GroupInvitePolicy[] = ["anyone", "contacts", "nobody"];

/**
 * What the engine needs to know about another user before letting `viewer`
 * reach them (a direct send, a typing or call signal, adding them to a group):
 * returned by `ContactStore.relations` for many users in one query, and small
 * enough to cache per pair.
 */
export interface Relation {
  /** The other user. */
  userId: string;
  /** The two are contacts. */
  contact: boolean;
  /** The viewer blocked the other user. */
  blocked: boolean;
  /** The other user blocked the viewer: refuse, with the same answer as any other refusal. */
  blockedBy: boolean;
  /** The other user's privacy policy ({@link DEFAULT_PRIVACY_POLICY} when never set). */
  privacy: PrivacyPolicy;
}

/** What `ContactStore.sendRequest` did. */
export type SendRequestResult =
  | {
      /** The request is stored and pending. */
      outcome: "requested";
      /** The stored request. */
      request: ContactRequest;
    }
  | {
      /**
       * The other user had already asked the sender: their request was accepted and the
       * two are contacts now (nothing was stored for the sender's request).
       */
      outcome: "accepted";
      /** The other user's request, now `accepted`. */
      request: ContactRequest;
    }
  | {
      /**
       * One of the two blocked the other: nothing was written. The engine answers
       * `forbidden`, as for any other refusal, so that a block is not revealed.
       */
      outcome: "blocked";
    };

/** Paging of the people lists: ascending by the other user's id, after `after`. */
export interface PeoplePage {
  /** Start after this user id (the last id of the previous page); absent: from the start. */
  after?: string;
  /** At most this many entries (capped by the store's `maxPageSize`). @default the store's maxPageSize */
  limit?: number;
}
