/**
 * Bookkeeping of a delivery fault test: what got `sent`, what each recipient's
 * socket received (raw, duplicates included) and what its client emitted
 * (after de-duplication), with the times, to count lost and duplicated
 * messages and to measure recovery; its report rows and its verdict.
 */
import { expect } from "vitest";
import { pollUntil } from "./polling.js";

interface SentEntry {
  recipient: string;
  conversationId: string;
  seq: number;
  /** When the sender's `send` resolved. */
  sentAt: number;
}

interface Arrival {
  /** How many times. */
  count: number;
  /** When the first one came. */
  firstAt: number;
}

/** The figures of a run. */
export interface LedgerSummary {
  /** Sends answered with `sent`. */
  sent: number;
  /** Sends rejected (no `sent`). */
  rejected: number;
  /** `sent` messages the right recipient's client emitted at least once. */
  delivered: number;
  /** `sent` messages the recipient's client never emitted. */
  lost: number;
  /** Extra `message` frames on the wire (same recipient, same messageId), before de-duplication. */
  rawDuplicates: number;
  /** Messages received raw more than once. */
  rawDuplicatedMessages: number;
  /** Of those, the ones whose first copy came inside a `sync` (a later push repeated it). */
  rawDuplicatedAfterSync: number;
  /** Extra `message` events the client emitted for a messageId it had already emitted. */
  duplicatesAfterDedupe: number;
  /** Messages whose first raw frame came in while a `sync` of that socket was open (approximate). */
  firstBySync: number;
  /** Messages a client emitted that nobody confirmed as `sent` to that recipient. */
  unexpected: number;
  /** Messages a client emitted from another sender than the one it expects, as `<recipient> got <messageId>`. */
  wrongSenders: string[];
}

/** Per-recipient raw and de-duplicated arrivals, keyed by messageId. */
class RecipientLog {
  readonly raw = new Map<string, Arrival & { bySync: boolean }>();
  readonly seen = new Map<string, Arrival>();
}

/** The ledger. */
export class DeliveryLedger {
  private readonly sentById = new Map<string, SentEntry>();
  private readonly recipients = new Map<string, RecipientLog>();
  private readonly wrongSenders: string[] = [];
  private rejectedCount = 0;

  private log(recipient: string): RecipientLog {
    let log = this.recipients.get(recipient);
    if (!log) {
      log = new RecipientLog();
      this.recipients.set(recipient, log);
    }
    return log;
  }

  /** A send was answered with `sent`. */
  sent(messageId: string, entry: SentEntry): void {
    this.sentById.set(messageId, entry);
  }

  /** A send was rejected. */
  rejected(): void {
    this.rejectedCount++;
  }

  /**
   * Records the outcome of one client `send` to `recipient`: its `sent` answer, or its
   * rejection (whose code goes to `onError`). Never rejects.
   */
  record(
    send: Promise<{ messageId: string; conversationId: string; seq: number }>,
    recipient: string,
    onError: (code: string) => void,
  ): Promise<void> {
    return send.then(
      (result) => {
        this.sent(result.messageId, {
          recipient,
          conversationId: result.conversationId,
          seq: result.seq,
          sentAt: Date.now(),
        });
      },
      (error: { code?: string }) => {
        this.rejected();
        onError(error.code ?? String(error));
      },
    );
  }

  /** A `message` frame reached `recipient`'s socket. */
  raw(recipient: string, messageId: string, bySync: boolean, at = Date.now()): void {
    const arrival = this.log(recipient).raw.get(messageId);
    if (arrival) arrival.count++;
    else this.log(recipient).raw.set(messageId, { count: 1, firstAt: at, bySync });
  }

  /** `recipient`'s client emitted a `message` event. */
  seen(recipient: string, messageId: string, at = Date.now()): void {
    const arrival = this.log(recipient).seen.get(messageId);
    if (arrival) arrival.count++;
    else this.log(recipient).seen.set(messageId, { count: 1, firstAt: at });
  }

  /**
   * `recipient`'s client emitted `message`, which only `expectedSender` may have sent to it
   * (each recipient of a stream has one sender).
   */
  received(
    recipient: string,
    expectedSender: string,
    message: { messageId: string; from: string },
  ): void {
    this.seen(recipient, message.messageId);
    if (message.from !== expectedSender) {
      this.wrongSenders.push(`${recipient} got ${message.messageId}`);
    }
  }

  /** The `sent` messages that the recipient's client has not emitted yet. */
  missing(): string[] {
    const out: string[] = [];
    for (const [messageId, entry] of this.sentById) {
      if (!this.recipients.get(entry.recipient)?.seen.has(messageId)) out.push(messageId);
    }
    return out;
  }

  /**
   * Polls until every `sent` message reached its recipient's client; resolves with whether that
   * happened within `timeoutMs`.
   */
  allDelivered(timeoutMs: number, everyMs = 100): Promise<boolean> {
    return pollUntil(() => this.missing().length === 0, timeoutMs, everyMs);
  }

  /** Details of a `sent` message, for reports. */
  entry(messageId: string): SentEntry | undefined {
    return this.sentById.get(messageId);
  }

  /**
   * The `sent` messages matching `filter`, given their entry and when the
   * recipient's client first emitted them (undefined: not yet).
   */
  select(filter: (entry: SentEntry, seenAt: number | undefined) => boolean): string[] {
    const out: string[] = [];
    for (const [messageId, entry] of this.sentById) {
      const seenAt = this.recipients.get(entry.recipient)?.seen.get(messageId)?.firstAt;
      if (filter(entry, seenAt)) out.push(messageId);
    }
    return out;
  }

  /** When the recipient's client first emitted `messageId`. */
  seenAt(messageId: string): number | undefined {
    const entry = this.sentById.get(messageId);
    return entry && this.recipients.get(entry.recipient)?.seen.get(messageId)?.firstAt;
  }

  summary(): LedgerSummary {
    let delivered = 0;
    let firstBySync = 0;
    for (const [messageId, entry] of this.sentById) {
      const log = this.recipients.get(entry.recipient);
      if (log?.seen.has(messageId)) delivered++;
      if (log?.raw.get(messageId)?.bySync) firstBySync++;
    }
    let rawDuplicates = 0;
    let rawDuplicatedMessages = 0;
    let rawDuplicatedAfterSync = 0;
    let duplicatesAfterDedupe = 0;
    let unexpected = 0;
    for (const [recipient, log] of this.recipients) {
      for (const arrival of log.raw.values()) {
        if (arrival.count > 1) {
          rawDuplicates += arrival.count - 1;
          rawDuplicatedMessages++;
          if (arrival.bySync) rawDuplicatedAfterSync++;
        }
      }
      for (const [messageId, arrival] of log.seen) {
        duplicatesAfterDedupe += arrival.count - 1;
        if (this.sentById.get(messageId)?.recipient !== recipient) unexpected++;
      }
    }
    return {
      sent: this.sentById.size,
      rejected: this.rejectedCount,
      delivered,
      lost: this.sentById.size - delivered,
      rawDuplicates,
      rawDuplicatedMessages,
      rawDuplicatedAfterSync,
      duplicatesAfterDedupe,
      firstBySync,
      unexpected,
      wrongSenders: [...this.wrongSenders],
    };
  }
}

/** The report rows of a ledger's summary, for {@link printTable}. */
export function summaryRows(summary: LedgerSummary): [string, string | number][] {
  return [
    ["messages sent (got `sent`)", summary.sent],
    ["sends rejected", summary.rejected],
    ["delivered (client, after de-dup)", summary.delivered],
    ["lost", summary.lost],
    ["raw duplicate frames (before de-dup)", summary.rawDuplicates],
    ["messages received raw more than once", summary.rawDuplicatedMessages],
    ["... of which first came by sync", summary.rawDuplicatedAfterSync],
    ["duplicates after de-dup", summary.duplicatesAfterDedupe],
    ["first received inside a sync (approx.)", summary.firstBySync],
    ["delivered to the wrong user", summary.unexpected + summary.wrongSenders.length],
  ];
}

/**
 * Asserts that every `sent` message reached its recipient's client, from the right sender, and
 * that the client emitted none twice and nothing nobody sent it.
 */
export function expectDeliveredExactlyOnce(summary: LedgerSummary): void {
  expect(summary.wrongSenders).toEqual([]);
  expect(summary.unexpected).toBe(0);
  expect(summary.lost).toBe(0);
  expect(summary.duplicatesAfterDedupe).toBe(0);
}

/** Prints rows of (label, value) as a two-column table with console.log. */
export function printTable(title: string, rows: [string, string | number][]): void {
  const width = Math.max(...rows.map(([label]) => label.length));
  const valueWidth = Math.max(...rows.map(([, value]) => String(value).length));
  const rule = `+${"-".repeat(width + 2)}+${"-".repeat(valueWidth + 2)}+`;
  const lines = [
    title,
    rule,
    ...rows.map(
      ([label, value]) => `| ${label.padEnd(width)} | ${String(value).padStart(valueWidth)} |`,
    ),
    rule,
  ];
  console.log(lines.join("\n"));
}
