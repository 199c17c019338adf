/** Options of {@link eventually}. */
export interface EventuallyOptions {
  /**
   * Give up after this long (ms) and throw the last failure.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * Wait this long (ms) between two tries.
   * @default 25
   */
  intervalMs?: number;
  /** Says what was awaited, in the error thrown on timeout. */
  message?: string;
}

/**
 * Calls `fn` until it neither throws nor returns `false`, and returns what it
 * returned: the way to wait for something asynchronous in a test without a
 * fixed sleep. To wait for a value that may be `undefined` meanwhile, return
 * `value ?? false`. On timeout it rethrows the last error (an assertion keeps its
 * diff), its message prefixed with what was awaited and for how long.
 *
 * @example
 * ```ts
 * await eventually(() => expect(received).toHaveLength(3), { timeoutMs: 5000 });
 * ```
 */
export async function eventually<T>(
  fn: () => T | Promise<T>,
  options: EventuallyOptions = {},
): Promise<Exclude<T, false>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let attempt = 1; ; attempt++) {
    try {
      const value = await fn();
      if (value !== false) return value as Exclude<T, false>;
      lastError = new Error("the condition returned false");
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const prefix = `${options.message ?? "condition"} not met within ${timeoutMs} ms (${attempt} tries)`;
      if (lastError instanceof Error) {
        lastError.message = `${prefix}: ${lastError.message}`;
        throw lastError;
      }
      throw new Error(`${prefix}: ${String(lastError)}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
