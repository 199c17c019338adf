import type { OutboxStats, OutboxStore } from "../contracts/outbox-store.js";
import type { ClaimedOutboxEntry } from "../domain/outbox.js";
import { cloneValue } from "./clone-value.js";
import type { MemoryRetention } from "./memory-retention.js";
import { type MemoryStorageState, settleOutbox } from "./memory-storage-backend.js";

/** @internal What the memory outbox store needs from its storage. */
export interface MemoryOutboxStoreContext {
  state: MemoryStorageState;
  now(): number;
  /** Told of each settled entry; undefined: the storage keeps every message. */
  retention: MemoryRetention | undefined;
}

/** @internal The in-memory {@link OutboxStore}. */
export function createMemoryOutboxStore(context: MemoryOutboxStoreContext): OutboxStore {
  const { state } = context;

  return {
    async claim({ limit, leaseMs, kinds = ["message"] }) {
      const now = context.now();
      const claimed: ClaimedOutboxEntry[] = [];
      if (limit <= 0) return claimed;
      // Synchronous from here: no other claimer can interleave, so no entry is handed out twice.
      for (const entry of state.outbox.values()) {
        if (claimed.length >= limit) break;
        if (entry.nextAttemptAt > now) continue;
        if (entry.leaseUntil !== undefined && entry.leaseUntil > now) continue;
        if (!kinds.includes(entry.kind ?? "message")) continue;
        const message = state.messagesById.get(entry.messageId);
        // Retention keeps a message while its entry is pending; skip defensively rather than throw.
        if (!message) continue;
        entry.leaseUntil = now + leaseMs;
        const { participants, ...fields } = entry;
        const item: ClaimedOutboxEntry = {
          ...fields,
          message: { ...message, to: { ...message.to }, body: cloneValue(message.body) },
          participants: [...participants],
        };
        if (entry.changeSeq !== undefined) {
          const change = state.changeLogs.get(entry.conversationId)?.[entry.changeSeq - 1];
          if (change) item.change = cloneValue(change);
        }
        claimed.push(item);
      }
      return claimed;
    },

    async markSent(ids) {
      for (const id of ids) {
        const entry = state.outbox.get(id);
        // Unknown or already sent (a sent entry leaves the outbox at once).
        if (!entry) continue;
        entry.status = "sent";
        delete entry.leaseUntil;
        settleOutbox(state, entry);
        context.retention?.settled(entry.conversationId);
      }
    },

    async markFailed(ids, retryAt) {
      for (const id of ids) {
        const entry = state.outbox.get(id);
        if (entry?.status !== "pending") continue;
        entry.attempts += 1;
        entry.nextAttemptAt = retryAt;
        delete entry.leaseUntil;
      }
    },

    async purge(olderThan) {
      // Only sent entries are purged, and only their createdAt is left of them (see sentOutbox).
      const { ts, count } = state.sentOutbox;
      let purged = 0;
      let kept = 0;
      for (let i = 0; i < ts.length; i++) {
        if (ts[i]! < olderThan) purged += count[i]!;
        else {
          ts[kept] = ts[i]!;
          count[kept] = count[i]!;
          kept++;
        }
      }
      ts.length = kept;
      count.length = kept;
      return purged;
    },

    async stats(options) {
      const kinds = options?.kinds ?? ["message"];
      const stats: OutboxStats = { pending: 0 };
      for (const entry of state.outbox.values()) {
        if (!kinds.includes(entry.kind ?? "message")) continue;
        stats.pending += 1;
        if (stats.oldestPendingAt === undefined || entry.createdAt < stats.oldestPendingAt) {
          stats.oldestPendingAt = entry.createdAt;
        }
      }
      return stats;
    },
  };
}
