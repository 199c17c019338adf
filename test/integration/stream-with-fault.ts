/**
 * The steady 1:1 stream of the delivery fault tests, with a fault in its middle:
 * the sender of pair i sends to the recipient of pair i once every interval,
 * the pairs staggered evenly over it, and every send's outcome goes to a
 * {@link DeliveryLedger}.
 */
import type { ImClient } from "@lucky-im/client";
import type { DeliveryLedger } from "./delivery-ledger.js";
import { sleep } from "./polling.js";

/** Options of {@link streamWithFault}. */
export interface StreamWithFaultOptions {
  ledger: DeliveryLedger;
  /** Pair i: `senders[i]` sends to the user `recipients[i]`. */
  senders: readonly Pick<ImClient, "send">[];
  recipients: readonly string[];
  /** Messages per pair. */
  rounds: number;
  /** Each sender sends one message every this many ms. */
  intervalMs: number;
  /** Prefix of every message's text (`<tag><pair>#<round>`), to tell streams apart. */
  tag?: string;
  /** When, after the stream started, `fault` runs. */
  faultAtMs: number;
  fault: () => Promise<void>;
}

/** What {@link streamWithFault} saw, besides what went to the ledger. */
export interface StreamOutcome {
  /** Rejected sends, by error code. */
  sendErrors: Map<string, number>;
  /** When the last send was issued (its answer came later). */
  lastIssuedAt: number;
}

/**
 * Issues every send on schedule while `fault` runs at its time, then waits for
 * the fault and for every send's answer. A rejected send does not reject this.
 */
export async function streamWithFault(options: StreamWithFaultOptions): Promise<StreamOutcome> {
  const { ledger, senders, recipients, rounds, intervalMs, tag = "" } = options;
  const pairs = senders.length;
  const sendErrors = new Map<string, number>();
  const sends: Promise<void>[] = [];
  let lastIssuedAt = 0;
  const start = Date.now();
  const issuing = (async () => {
    for (let k = 0; k < rounds; k++) {
      for (let i = 0; i < pairs; i++) {
        const due = start + k * intervalMs + (i * intervalMs) / pairs;
        const wait = due - Date.now();
        if (wait > 0) await sleep(wait);
        const recipient = recipients[i]!;
        sends.push(
          ledger.record(
            senders[i]!.send(
              { type: "user", id: recipient },
              { type: "text", text: `${tag}${i}#${k}` },
            ),
            recipient,
            (code) => sendErrors.set(code, (sendErrors.get(code) ?? 0) + 1),
          ),
        );
      }
    }
    lastIssuedAt = Date.now();
  })();
  await Promise.all([issuing, sleep(options.faultAtMs).then(options.fault)]);
  await Promise.all(sends);
  return { sendErrors, lastIssuedAt };
}
