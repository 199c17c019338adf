import { expect } from "vitest";

/**
 * Asserts that each call, made on an adapter after its `close()`, rejects (or throws)
 * with `ImError("unavailable")`. `calls` maps a name shown on failure to the call.
 */
export async function expectUnavailableAfterClose(
  calls: Record<string, () => unknown>,
): Promise<void> {
  for (const [name, call] of Object.entries(calls)) {
    let outcome: unknown;
    try {
      outcome = await call();
    } catch (error) {
      expect(error, `${name} after close()`).toMatchObject({ code: "unavailable" });
      continue;
    }
    expect.fail(
      `${name} after close() should reject with ImError("unavailable"), but it answered ${JSON.stringify(outcome)}`,
    );
  }
}
