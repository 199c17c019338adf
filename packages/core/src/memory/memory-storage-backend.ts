import { ConfigError } from "../config-error.js";
import type { Conversation } from "../domain/conversation.js";
import type { ConversationSettings } from "../domain/conversation-settings.js";
import type { Group } from "../domain/group.js";
import type { GroupInviteLink, GroupJoinSettings, GroupJoinTicket } from "../domain/group-join.js";
import type { Message } from "../domain/message.js";
import type { MessageChange, MessageEdit, PinnedMessage } from "../domain/message-change.js";
import type { OutboxEntry } from "../domain/outbox.js";
import { ShardedMap } from "./sharded-map.js";

/**
 * The data behind one or more {@link createMemoryStorage} instances. Pass the
 * same backend to several instances to make them share messages, cursors,
 * groups and the outbox, as several processes share one database (the
 * conformance kit does this to check that two stores never hand out the
 * same seq or outbox entry). It is opaque: only the storage reads it.
 */
export interface MemoryStorageBackend {
  /** Brand: a backend comes only from {@link createMemoryStorageBackend}. */
  readonly kind: "lucky-im.memory-storage-backend";
}

/**
 * @internal A conversation with its messages: the message at `seq` is `messages[seq - 1 - offset]`
 * for `firstSeq <= seq <= lastSeq` (see {@link messageAt}); slots below `firstSeq` are emptied
 * by retention and cut off the front now and then.
 */
export interface StoredConversation extends Conversation {
  messages: (Message | undefined)[];
  /** How many seqs were cut off the front of `messages` (0 unless retention dropped some). */
  offset: number;
  /** The oldest seq still held: 1 unless retention dropped older ones; `lastSeq + 1` when none is left. */
  firstSeq: number;
  /** ts of the newest message, or of the creation: orders a user's conversations. */
  activityTs: number;
  /** A backend-wide counter bumped on each activity: breaks ties between equal `activityTs`. */
  activityOrder: number;
}

/** @internal A user's cursors in one conversation. */
export interface StoredCursor {
  deliveredSeq: number;
  readSeq: number;
  /** The last seq when the user joined: what came before is not theirs to see. */
  joinedSeq: number;
  /** The user's settings of the conversation; absent: the defaults. */
  settings?: Omit<ConversationSettings, "conversationId">;
}

/** @internal An outbox entry with what a claim returns besides the entry. */
export interface StoredOutboxEntry extends OutboxEntry {
  participants: string[];
}

/** @internal Everything a memory storage holds. */
export interface MemoryStorageState {
  conversations: Map<string, StoredConversation>;
  /** Every stored message by id: sharded, as it grows with history (see {@link ShardedMap}). */
  messagesById: ShardedMap<Message>;
  /**
   * from -> cid -> messageId: the idempotency key of `append`. Nested rather than keyed by a
   * joined string, so an append allocates no key (the strings are the draft's own).
   */
  messageIdByCid: Map<string, Map<string, string>>;
  /** conversationId -> userId -> cursor. A user "is in" a conversation when it has a cursor there. */
  cursorsByConversation: Map<string, Map<string, StoredCursor>>;
  /** userId -> conversationIds the user has a cursor in. */
  conversationsByUser: Map<string, Set<string>>;
  groups: Map<string, Group>;
  /** userId -> groupIds the user is a member of. */
  groupsByUser: Map<string, Set<string>>;
  /**
   * The pending outbox entries, insertion ordered: claims look at the oldest first. A sent
   * entry leaves at once and only its `createdAt` stays, in `sentOutbox`, for `purge` to count:
   * keeping the whole entry (with its participants) until the purge an hour later was most of
   * the heap of a long run.
   */
  outbox: Map<string, StoredOutboxEntry>;
  /** The `createdAt` of the sent entries not purged yet, run-length encoded. */
  sentOutbox: SentOutboxRuns;
  /** messageId -> how many pending outbox entries name it: retention keeps these messages. */
  pendingByMessage: Map<string, number>;
  activityCounter: number;
  /**
   * conversationId -> its change log (`log[changeSeq - 1]`); a change of a message retention
   * dropped is a hole (`undefined`), so changeSeqs keep their places.
   */
  changeLogs: Map<string, (MessageChange | undefined)[]>;
  /** messageId -> the changeSeqs of its changes: retention empties them with the message. */
  changeSeqsByMessage: Map<string, number[]>;
  /** messageId -> earlier bodies, oldest first. */
  editHistory: Map<string, MessageEdit[]>;
  /** messageId -> key -> users, in insertion order. */
  reactions: Map<string, Map<string, Set<string>>>;
  /** conversationId -> pins, oldest first. */
  pins: Map<string, PinnedMessage[]>;
  /** `${userId}\u0000${conversationId}` -> seqs deleted for that user. */
  hidden: Map<string, Set<number>>;
  /** `${userId}\u0000${conversationId}` -> every seq up to this one is cleared for that user. */
  clearedUpTo: Map<string, number>;
  /** conversationId -> the keys of `hidden` and `clearedUpTo` in it: retention trims them. */
  viewerKeysByConversation: Map<string, Set<string>>;
  /** Join data of the groups that have some (deleted with the group). */
  groupJoins: Map<string, StoredGroupJoins>;
  /** ticketId -> groupId, and link code -> groupId: finds a ticket or link without its group. */
  joinIndex: Map<string, string>;
}

/**
 * @internal The `createdAt` of sent outbox entries as runs of equal values (`count[i]` entries
 * created at `ts[i]`): entries are marked sent about in creation order, so a run holds every
 * entry of one millisecond.
 */
export interface SentOutboxRuns {
  ts: number[];
  count: number[];
}

/** @internal A group's join settings, tickets and links. */
export interface StoredGroupJoins {
  settings?: GroupJoinSettings;
  tickets: Map<string, GroupJoinTicket>;
  links: Map<string, GroupInviteLink & { usedBy: Set<string> }>;
}

const states = new WeakMap<MemoryStorageBackend, MemoryStorageState>();

/**
 * Creates an empty {@link MemoryStorageBackend} to share between
 * {@link createMemoryStorage} instances.
 *
 * @example
 * ```ts
 * const backend = createMemoryStorageBackend();
 * const a = createMemoryStorage({ backend });
 * const b = createMemoryStorage({ backend }); // sees what `a` stores
 * ```
 */
export function createMemoryStorageBackend(): MemoryStorageBackend {
  const backend: MemoryStorageBackend = Object.freeze({
    kind: "lucky-im.memory-storage-backend" as const,
  });
  states.set(backend, {
    conversations: new Map(),
    messagesById: new ShardedMap(),
    messageIdByCid: new Map(),
    cursorsByConversation: new Map(),
    conversationsByUser: new Map(),
    groups: new Map(),
    groupsByUser: new Map(),
    outbox: new Map(),
    sentOutbox: { ts: [], count: [] },
    pendingByMessage: new Map(),
    activityCounter: 0,
    changeLogs: new Map(),
    changeSeqsByMessage: new Map(),
    editHistory: new Map(),
    reactions: new Map(),
    pins: new Map(),
    hidden: new Map(),
    clearedUpTo: new Map(),
    viewerKeysByConversation: new Map(),
    groupJoins: new Map(),
    joinIndex: new Map(),
  });
  return backend;
}

/** @internal The state of a backend; throws on an object that is not one. */
export function storageState(backend: MemoryStorageBackend): MemoryStorageState {
  const state = states.get(backend);
  if (!state) {
    throw new ConfigError(
      "core",
      "option backend is not a memory storage backend: create one with createMemoryStorageBackend()",
      { option: "backend" },
    );
  }
  return state;
}

/** @internal Creates the conversation if needed; returns it. */
export function ensureConversation(
  state: MemoryStorageState,
  conversationId: string,
  ts: number,
): StoredConversation {
  let conversation = state.conversations.get(conversationId);
  if (!conversation) {
    conversation = {
      conversationId,
      kind: conversationId.startsWith("g:") ? "group" : "direct",
      lastSeq: 0,
      messages: [],
      offset: 0,
      firstSeq: 1,
      activityTs: ts,
      activityOrder: ++state.activityCounter,
    };
    state.conversations.set(conversationId, conversation);
  }
  return conversation;
}

/** @internal Gives a user a cursor in a conversation (at `startSeq`) unless it has one. */
export function ensureCursor(
  state: MemoryStorageState,
  userId: string,
  conversationId: string,
  startSeq: number,
): void {
  let cursors = state.cursorsByConversation.get(conversationId);
  if (!cursors) {
    cursors = new Map();
    state.cursorsByConversation.set(conversationId, cursors);
  }
  if (cursors.has(userId)) return;
  cursors.set(userId, { deliveredSeq: startSeq, readSeq: startSeq, joinedSeq: startSeq });
  let conversations = state.conversationsByUser.get(userId);
  if (!conversations) {
    conversations = new Set();
    state.conversationsByUser.set(userId, conversations);
  }
  conversations.add(conversationId);
}

/** @internal Deletes a user's cursor in a conversation. */
export function deleteCursor(state: MemoryStorageState, userId: string, conversationId: string) {
  state.cursorsByConversation.get(conversationId)?.delete(userId);
  const conversations = state.conversationsByUser.get(userId);
  if (!conversations) return;
  conversations.delete(conversationId);
  if (conversations.size === 0) state.conversationsByUser.delete(userId);
}

// Outbox ids only need to be unique within the process that holds the backend: a counter
// behind a per-process random part is far cheaper than a UUID per message.
const OUTBOX_ID_BASE = `ob_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}_`;
let outboxIdCounter = 0;

/** @internal A new outbox entry id, unique within this process. */
export function nextOutboxId(): string {
  outboxIdCounter++;
  return OUTBOX_ID_BASE + outboxIdCounter.toString(36);
}

/** @internal Writes a new pending outbox entry. */
export function addPendingOutbox(state: MemoryStorageState, entry: StoredOutboxEntry): void {
  state.outbox.set(entry.id, entry);
  state.pendingByMessage.set(
    entry.messageId,
    (state.pendingByMessage.get(entry.messageId) ?? 0) + 1,
  );
}

/** @internal Settles a pending outbox entry: it leaves the outbox, its `createdAt` is kept for `purge`. */
export function settleOutbox(state: MemoryStorageState, entry: StoredOutboxEntry): void {
  state.outbox.delete(entry.id);
  const left = (state.pendingByMessage.get(entry.messageId) ?? 1) - 1;
  if (left > 0) state.pendingByMessage.set(entry.messageId, left);
  else state.pendingByMessage.delete(entry.messageId);
  const { ts, count } = state.sentOutbox;
  const last = ts.length - 1;
  if (last >= 0 && ts[last] === entry.createdAt) count[last]! += 1;
  else {
    ts.push(entry.createdAt);
    count.push(1);
  }
}

/** @internal The message at `seq`, or undefined when there is none (or retention dropped it). */
export function messageAt(conversation: StoredConversation, seq: number): Message | undefined {
  if (seq < conversation.firstSeq || seq > conversation.lastSeq) return undefined;
  return conversation.messages[seq - 1 - conversation.offset];
}

/** @internal The idempotency entry of (from, cid), if any. */
export function messageIdOfCid(state: MemoryStorageState, from: string, cid: string) {
  return state.messageIdByCid.get(from)?.get(cid);
}

/** @internal The key of a user's per-conversation visibility maps. */
export function viewerKey(userId: string, conversationId: string): string {
  return `${userId}\u0000${conversationId}`;
}

/** @internal Notes that `key` (a {@link viewerKey}) has hidden or cleared messages in the conversation. */
export function noteViewerKey(
  state: MemoryStorageState,
  conversationId: string,
  key: string,
): void {
  let keys = state.viewerKeysByConversation.get(conversationId);
  if (!keys) {
    keys = new Set();
    state.viewerKeysByConversation.set(conversationId, keys);
  }
  keys.add(key);
}

/** @internal True when `userId` deleted or cleared the message at `seq` for themselves. */
export function hiddenFor(
  state: MemoryStorageState,
  userId: string,
  conversationId: string,
  seq: number,
): boolean {
  const key = viewerKey(userId, conversationId);
  if (seq <= (state.clearedUpTo.get(key) ?? 0)) return true;
  return state.hidden.get(key)?.has(seq) ?? false;
}

/**
 * @internal Appends a change to its conversation's log with the next
 * changeSeq and writes its outbox entry (synchronously: one critical section
 * with the caller's mutation). Private changes go to their one user.
 */
export function recordChange(
  state: MemoryStorageState,
  fields: Omit<MessageChange, "changeSeq">,
  outboxGraceMs: number,
): { change: MessageChange; outboxId: string } {
  let log = state.changeLogs.get(fields.conversationId);
  if (!log) {
    log = [];
    state.changeLogs.set(fields.conversationId, log);
  }
  const change: MessageChange = { ...fields, changeSeq: log.length + 1 };
  log.push(change);
  const seqs = state.changeSeqsByMessage.get(change.messageId);
  if (seqs) seqs.push(change.changeSeq);
  else state.changeSeqsByMessage.set(change.messageId, [change.changeSeq]);
  const participants =
    change.visibleTo !== undefined
      ? [change.visibleTo]
      : [...(state.cursorsByConversation.get(change.conversationId)?.keys() ?? [])];
  const outboxId = nextOutboxId();
  const entry: StoredOutboxEntry = {
    id: outboxId,
    kind: "change",
    messageId: change.messageId,
    changeSeq: change.changeSeq,
    conversationId: change.conversationId,
    status: "pending",
    attempts: 0,
    nextAttemptAt: change.ts + outboxGraceMs,
    createdAt: change.ts,
    participants,
  };
  addPendingOutbox(state, entry);
  return { change: { ...change }, outboxId };
}
