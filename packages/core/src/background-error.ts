import { type ErrorCode, type ImError, toImError } from "@lucky-im/protocol";

/**
 * The `onError` option of every long-lived Lucky IM component with background work
 * (reconnects, timers, flushes, relays): called with a failure no caller receives, as an
 * {@link ImError} (anything else thrown is wrapped, the original kept as `cause`), and
 * `context`, what the component was doing (for example `"outbox LISTEN"`). It is the same
 * shape as the engine's `error` event, so one handler serves them all.
 *
 * @example
 * ```ts
 * const onError: BackgroundErrorHandler = (error, context) =>
 *   log.warn({ code: error.code, err: error }, context);
 * createAmqpBroker({ url, onError });
 * createRedisPresence({ url, onError });
 * ```
 */
export type BackgroundErrorHandler = (error: ImError, context: string) => void;

/**
 * Hands a background failure to `onError` as an {@link ImError} (`code` when it is not one
 * already; the original kept as `cause`). A handler that throws is ignored: the component's
 * background work must go on.
 *
 * @param onError - the component's handler
 * @param error - what was thrown or rejected
 * @param context - what the component was doing
 * @param code - the code of a wrapped error
 */
export function reportBackgroundError(
  onError: BackgroundErrorHandler,
  error: unknown,
  context: string,
  code: ErrorCode = "internal",
): void {
  try {
    onError(toImError(error, code), context);
  } catch {
    // The handler itself failed: nowhere left to report it.
  }
}

/**
 * The default handler of a package's `onError`: `console.error` with the package and the context.
 *
 * @param pkg - the package, without scope (for example `"broker-amqp"`)
 */
export function consoleBackgroundErrors(pkg: string): BackgroundErrorHandler {
  return (error, context) => console.error(`[lucky-im] [${pkg}] ${context}:`, error);
}
