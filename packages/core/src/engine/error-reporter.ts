import type { EventEmitter } from "eventemitter3";
import { ImError, isImError, toImError } from "../errors.js";
import type { ImServerEvents } from "./events.js";
import type { ImLogger } from "./options.js";

/** Where the engine's modules report failures that reach no client. */
export interface ErrorReporter {
  /** Reports a background failure: event `error` when someone listens, else the logger. */
  report(error: unknown, context: string): void;
  /** The ImError a client may see: an ImError as is, anything else reported and `internal`. */
  toClientError(error: unknown): ImError;
}

/** Per-context log folding: during an outage the same failure repeats per message. */
const LOG_FOLD_MS = 1_000;

/**
 * Reports to the node's `error` listeners, or (with none) to the logger, once a
 * second per context with the count of what was folded in.
 */
export class FoldingErrorReporter implements ErrorReporter {
  /** When each context was last logged, and how many reports were folded since. */
  private readonly lastLogged = new Map<string, { at: number; folded: number }>();

  /**
   * @param events - the node's emitter (its `error` listeners get every failure)
   * @param logger - used when no `error` listener is registered
   */
  constructor(
    private readonly events: EventEmitter<ImServerEvents>,
    private readonly logger: ImLogger,
  ) {}

  /** {@inheritDoc ErrorReporter.report} */
  report(error: unknown, context: string): void {
    const imError = toImError(error);
    if (this.events.listenerCount("error") > 0) {
      this.events.emit("error", imError, context);
      return;
    }
    const now = Date.now();
    const seen = this.lastLogged.get(context);
    if (seen && now - seen.at < LOG_FOLD_MS) {
      seen.folded++;
      return;
    }
    const folded = seen?.folded ?? 0;
    this.lastLogged.set(context, { at: now, folded: 0 });
    this.logger.error(
      { code: imError.code, ...(folded > 0 ? { repeatedSinceLastLog: folded } : {}) },
      `[lucky-im] [core] ${context}: ${imError.message}`,
    );
  }

  /** {@inheritDoc ErrorReporter.toClientError} */
  toClientError(error: unknown): ImError {
    if (isImError(error)) return error;
    this.report(error, "handling a frame");
    return new ImError("internal", "internal error");
  }
}
