import type { ContactStore } from "../contracts/contact-store.js";
import type { ConversationSettingsStore } from "../contracts/conversation-settings-store.js";
import type { CursorMove, CursorMoved, CursorStore } from "../contracts/cursor-store.js";
import type { DomainEventStore } from "../contracts/domain-event-store.js";
import type { GroupJoinStore } from "../contracts/group-join-store.js";
import type { GroupStore } from "../contracts/group-store.js";
import type { MessageChangeStore } from "../contracts/message-change-store.js";
import type { MessageStore } from "../contracts/message-store.js";
import type { ModerationStore } from "../contracts/moderation-store.js";
import type { OutboxStore } from "../contracts/outbox-store.js";
import type { ProfileStore } from "../contracts/profile-store.js";
import type { Storage } from "../contracts/storage.js";
import {
  type AdapterRuntimeOptions,
  finishRuntime,
  guardMethods,
  isAdapterRuntime,
  type RuntimeGate,
  type RuntimeMethodKinds,
} from "./adapter-runtime.js";
import { markManyFallback } from "./mark-many-fallback.js";

/**
 * A {@link Storage} from {@link withStorageRuntime}: its optional methods are always there
 * (`cursors.markMany`, `outboxNotifications`), so callers need no branch.
 */
export type RuntimeStorage<T extends Storage = Storage> = Omit<
  T,
  "cursors" | "outboxNotifications"
> & {
  /** The cursor store, with `markMany` always present. */
  cursors: T["cursors"] & {
    /** The store's own `markMany`, or one call of `markDelivered` / `markRead` per move. */
    markMany(moves: readonly CursorMove[]): Promise<CursorMoved[]>;
  };
  /** Wake-up hints for the outbox relay; a storage without them returns a no-op subscription. */
  outboxNotifications(onWake: () => void): () => Promise<void>;
};

const ASYNC = "async" as const;

const MESSAGES: RuntimeMethodKinds<MessageStore> = {
  append: ASYNC,
  range: ASYNC,
  get: ASYNC,
  recall: ASYNC,
};

const CHANGES: RuntimeMethodKinds<MessageChangeStore> = {
  edit: ASYNC,
  react: ASYNC,
  unreact: ASYNC,
  pin: ASYNC,
  unpin: ASYNC,
  deleteForMe: ASYNC,
  clearConversation: ASYNC,
  changesAfter: ASYNC,
  lastChangeSeqs: ASYNC,
  editHistory: ASYNC,
  reactions: ASYNC,
  pins: ASYNC,
  mentionCounts: ASYNC,
  search: ASYNC,
};

const CURSORS: RuntimeMethodKinds<CursorStore> = {
  markDelivered: ASYNC,
  markRead: ASYNC,
  markMany: ASYNC,
  cursors: ASYNC,
  conversations: ASYNC,
  participants: ASYNC,
  membersJoinedAfter: ASYNC,
  peerCursors: ASYNC,
};

const GROUPS: RuntimeMethodKinds<GroupStore> = {
  create: ASYNC,
  get: ASYNC,
  member: ASYNC,
  memberIds: ASYNC,
  addMembers: ASYNC,
  removeMembers: ASYNC,
  setRole: ASYNC,
  muteMember: ASYNC,
  update: ASYNC,
  transferOwner: ASYNC,
  dismiss: ASYNC,
  groupsOf: ASYNC,
};

const GROUP_JOINS: RuntimeMethodKinds<GroupJoinStore> = {
  settings: ASYNC,
  updateSettings: ASYNC,
  openTicket: ASYNC,
  ticket: ASYNC,
  pendingTickets: ASYNC,
  declineTicket: ASYNC,
  createLink: ASYNC,
  link: ASYNC,
  activeLinks: ASYNC,
  revokeLink: ASYNC,
  admit: ASYNC,
  purgeExpired: ASYNC,
};

const OUTBOX: RuntimeMethodKinds<OutboxStore> = {
  claim: ASYNC,
  markSent: ASYNC,
  markFailed: ASYNC,
  purge: ASYNC,
  stats: ASYNC,
};

const CONTACTS: RuntimeMethodKinds<ContactStore> = {
  sendRequest: ASYNC,
  acceptRequest: ASYNC,
  declineRequest: ASYNC,
  cancelRequest: ASYNC,
  request: ASYNC,
  requests: ASYNC,
  removeContact: ASYNC,
  setRemark: ASYNC,
  contact: ASYNC,
  contacts: ASYNC,
  block: ASYNC,
  unblock: ASYNC,
  blocks: ASYNC,
  isBlocked: ASYNC,
  relations: ASYNC,
  privacy: ASYNC,
  setPrivacy: ASYNC,
};

const PROFILES: RuntimeMethodKinds<ProfileStore> = {
  get: ASYNC,
  getMany: ASYNC,
  update: ASYNC,
  setLastSeen: ASYNC,
  search: ASYNC,
};

const CONVERSATION_SETTINGS: RuntimeMethodKinds<ConversationSettingsStore> = {
  get: ASYNC,
  update: ASYNC,
};

const MODERATION: RuntimeMethodKinds<ModerationStore> = {
  suspend: ASYNC,
  lift: ASYNC,
  suspension: ASYNC,
  suspensions: ASYNC,
  addReport: ASYNC,
  report: ASYNC,
  reports: ASYNC,
  resolveReport: ASYNC,
  appendAudit: ASYNC,
  audit: ASYNC,
};

const DOMAIN_EVENTS: RuntimeMethodKinds<DomainEventStore> = {
  // Which kinds are recorded is a setting of this process, not a call to the backing store.
  enable: "unguarded",
  enabledKinds: "unguarded",
  claim: ASYNC,
  settle: ASYNC,
  pending: ASYNC,
};

const STORAGE: RuntimeMethodKinds<Omit<Storage, "close">> = {
  outboxNotifications: "sync",
  ping: "ping",
};

/** A storage without wake-up hints: the relay's polling is all there is. */
const noOutboxNotifications = () => async () => {};

/**
 * Wraps a {@link Storage} in the runtime every adapter gets from the engine:
 *
 * - `close()` is idempotent: the second and later calls return the first call's promise;
 * - once `close()` was called, every method of the storage and of its stores rejects
 *   with `ImError("unavailable", "<label> is closed ...")` (`outboxNotifications` throws
 *   it; `ping()` resolves `false`); calls that started before close run to their end;
 * - optional methods are filled: `cursors.markMany` from `markDelivered` / `markRead`,
 *   `outboxNotifications` with a subscription that never wakes (the relay polls anyway).
 *
 * Everything else the adapter offers (`schema`, extra methods) is reached through the
 * wrapper unchanged. Wrapping a wrapped storage returns it as is. `createImServer` wraps
 * the storage it is given; adapter factories may return a wrapped instance so that direct
 * users get the same guarantees. The wrapper adds one boolean test per call, no Proxy.
 *
 * @example
 * ```ts
 * export async function createMyStorage(options: MyOptions): Promise<RuntimeStorage> {
 *   const storage: Storage = await openMyStorage(options); // no closed flag of its own
 *   return withStorageRuntime(storage, { label: "[my-app] [my-store] storage" });
 * }
 * ```
 */
export function withStorageRuntime<T extends Storage>(
  storage: T,
  options: AdapterRuntimeOptions = {},
): RuntimeStorage<T> {
  if (isAdapterRuntime(storage)) return storage as RuntimeStorage<T>;
  const gate: RuntimeGate = { label: options.label ?? "[lucky-im] storage", closed: false };
  const wrapper = guardMethods<Storage>(storage, STORAGE, gate, {
    outboxNotifications: noOutboxNotifications,
  });
  const stores: Partial<Record<keyof Storage, object>> = {
    messages: guardMethods(storage.messages, MESSAGES, gate, {}, "messages."),
    changes: guardMethods(storage.changes, CHANGES, gate, {}, "changes."),
    cursors: guardMethods(
      storage.cursors,
      CURSORS,
      gate,
      { markMany: markManyFallback(storage.cursors) as (...args: unknown[]) => unknown },
      "cursors.",
    ),
    groups: guardMethods(storage.groups, GROUPS, gate, {}, "groups."),
    groupJoins: guardMethods(storage.groupJoins, GROUP_JOINS, gate, {}, "groupJoins."),
    outbox: guardMethods(storage.outbox, OUTBOX, gate, {}, "outbox."),
    contacts: guardMethods(storage.contacts, CONTACTS, gate, {}, "contacts."),
    profiles: guardMethods(storage.profiles, PROFILES, gate, {}, "profiles."),
    conversationSettings: guardMethods(
      storage.conversationSettings,
      CONVERSATION_SETTINGS,
      gate,
      {},
      "conversationSettings.",
    ),
    moderation: guardMethods(storage.moderation, MODERATION, gate, {}, "moderation."),
  };
  if (storage.domainEvents) {
    stores.domainEvents = guardMethods(
      storage.domainEvents,
      DOMAIN_EVENTS,
      gate,
      {},
      "domainEvents.",
    );
  }
  for (const [name, store] of Object.entries(stores)) {
    Object.defineProperty(wrapper, name, {
      value: store,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  finishRuntime(wrapper, gate, () => storage.close());
  return wrapper as RuntimeStorage<T>;
}
