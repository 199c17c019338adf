import type { ContactStore } from "./contact-store.js";
import type { ConversationSettingsStore } from "./conversation-settings-store.js";
import type { CursorStore } from "./cursor-store.js";
import type { DomainEventStore } from "./domain-event-store.js";
import type { GroupJoinStore } from "./group-join-store.js";
import type { GroupStore } from "./group-store.js";
import type { MessageChangeStore } from "./message-change-store.js";
import type { MessageStore } from "./message-store.js";
import type { ModerationStore } from "./moderation-store.js";
import type { OutboxStore } from "./outbox-store.js";
import type { ProfileStore } from "./profile-store.js";

/**
 * The storage contracts over one backing store. They share data (an append
 * writes the outbox and creates cursors; a group creates cursors; settings
 * live with cursors), so an adapter provides them together.
 */
export interface Storage {
  /** Messages and conversations. */
  messages: MessageStore;
  /** Edits, reactions, pins, delete-for-me, search and the change log. */
  changes: MessageChangeStore;
  /** Delivered and read cursors. */
  cursors: CursorStore;
  /** Groups and members. */
  groups: GroupStore;
  /** Join settings, join requests, invitations and invite links. */
  groupJoins: GroupJoinStore;
  /** Entries waiting to be published. */
  outbox: OutboxStore;
  /** Contacts, contact requests, blocks and privacy policies. */
  contacts: ContactStore;
  /** Users' public profiles and user search. */
  profiles: ProfileStore;
  /** Per-user conversation settings (pin, mute, archive, mark unread), kept with the cursors. */
  conversationSettings: ConversationSettingsStore;
  /** Suspensions and bans, user reports and the audit log of admin actions. */
  moderation: ModerationStore;
  /**
   * The domain event outbox: events of group, group-join, contact and read writes, recorded
   * in the write's transaction once a consumer enabled their kind. Optional so that custom
   * storages keep compiling; the memory, PostgreSQL and SQLite storages provide it.
   */
  domainEvents?: DomainEventStore;
  /**
   * Optional wake-up hint for the outbox relay (PostgreSQL: LISTEN/NOTIFY): calls `onWake`
   * when entries may have become due, so the relay need not wait for its next poll. Returns
   * a function that stops it. The relay polls anyway; this only shortens the wait (without it,
   * the runtime wrapper `withStorageRuntime` returns a subscription that never wakes).
   */
  outboxNotifications?(onWake: () => void): () => Promise<void>;
  /** True when the backing service answers (for readiness probes). */
  ping(): Promise<boolean>;
  /**
   * Releases what the adapter opened (not a pool the user passed in). Idempotent, and every
   * call after it rejects with `ImError("unavailable")`: `withStorageRuntime` guarantees both.
   */
  close(): Promise<void>;
}
