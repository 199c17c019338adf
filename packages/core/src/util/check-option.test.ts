import { describe, expect, it } from "vitest";
import { ConfigError, isConfigError } from "../config-error.js";
import { createImServer } from "../engine/im-server.js";
import { isImError } from "../errors.js";
import { createMemoryRateLimiter } from "../memory/memory-rate-limiter.js";
import { createMemoryStorage } from "../memory/memory-storage.js";
import type { MemoryStorageBackend } from "../memory/memory-storage-backend.js";
import { createMemoryTransport } from "../transport/memory-transport.js";
import { checkOption } from "./check-option.js";

/** The ConfigError `fn` throws. */
function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(isConfigError(error), String(error)).toBe(true);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError, nothing was thrown");
}

describe("checkOption", () => {
  it("returns the value, or the default when undefined", () => {
    expect(checkOption("core", "n", 3, { min: 1 })).toBe(3);
    expect(checkOption("core", "n", undefined, { default: 7, min: 1 })).toBe(7);
    expect(checkOption("core", "n", 0, { min: 0 })).toBe(0);
  });

  it("refuses out-of-range, fractional, NaN, infinite and missing values with a ConfigError", () => {
    const error = configErrorOf(() =>
      checkOption("store-x", "maxThings", 0, { min: 1, integer: true }),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(isImError(error), "a ConfigError is an ImError").toBe(true);
    expect(error.code).toBe("bad_request");
    expect(error.option).toBe("maxThings");
    expect(error.details).toEqual({ option: "maxThings" });
    expect(error.message).toBe(
      "[lucky-im] [store-x] option maxThings must be an integer >= 1, got 0",
    );
    configErrorOf(() => checkOption("core", "n", 1.5, { integer: true }));
    configErrorOf(() => checkOption("core", "n", Number.NaN));
    configErrorOf(() => checkOption("core", "n", Number.POSITIVE_INFINITY));
    configErrorOf(() => checkOption("core", "n", undefined));
    configErrorOf(() => checkOption("core", "n", 0, { above: 0 }));
    configErrorOf(() => checkOption("core", "n", 11, { max: 10 }));
    expect(
      configErrorOf(() => checkOption("core", "n", 0, { above: 0, max: 5 })).message,
    ).toContain("must be a finite number > 0 and <= 5");
  });
});

describe("configuration errors of core's factories", () => {
  it("name the option as the caller spells it", () => {
    const server = (limits: object) =>
      createImServer({
        transport: createMemoryTransport(),
        storage: createMemoryStorage(),
        authenticator: { authenticate: async (token) => ({ userId: token, claims: {} }) },
        limits,
      });
    // Once, this named the memory limiter's `points`, which ImServerOptions does not have.
    expect(configErrorOf(() => server({ framesPerWindow: 0 })).option).toBe(
      "limits.framesPerWindow",
    );
    expect(configErrorOf(() => server({ rateWindowMs: -1 })).option).toBe("limits.rateWindowMs");
    expect(
      configErrorOf(() => createMemoryStorage({ messageChanges: { maxPinsPerConversation: 0 } }))
        .option,
    ).toBe("messageChanges.maxPinsPerConversation");
    expect(configErrorOf(() => createMemoryRateLimiter({ points: 0, durationMs: 1 })).option).toBe(
      "points",
    );
    expect(
      configErrorOf(() =>
        createMemoryStorage({
          backend: {} as MemoryStorageBackend,
        }),
      ).option,
    ).toBe("backend");
  });
});
