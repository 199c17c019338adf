import { hasErrorCode } from "@lucky-im/core";
import { describe, expect, it } from "vitest";
import { isConnectionError, toStoreError } from "./pg-errors.js";

const pgError = (code: string, message = "x") => Object.assign(new Error(message), { code });

describe("toStoreError", () => {
  it("maps a lost server or connection to unavailable, keeping the cause", () => {
    for (const error of [
      pgError("ECONNREFUSED"),
      pgError("EPIPE"),
      pgError("57P01", "terminating connection due to administrator command"),
      pgError("57P03", "the database system is starting up"),
      pgError("08006"),
      new Error("Connection terminated unexpectedly"),
      new Error("timeout exceeded when trying to connect"),
      new Error("wrapped", { cause: pgError("ECONNRESET") }),
    ]) {
      const mapped = toStoreError(error, "append");
      expect(hasErrorCode(mapped, "unavailable"), String(error)).toBe(true);
      expect(mapped.cause).toBe(error);
      expect(mapped.message).toMatch(/^\[lucky-im\] \[store-postgres\] append failed: /);
    }
  });

  it("maps constraint violations and bad input to fitting codes", () => {
    expect(toStoreError(pgError("23505"), "x").code).toBe("conflict");
    expect(toStoreError(pgError("23503"), "x").code).toBe("not_found");
    expect(toStoreError(pgError("22P05"), "x").code).toBe("bad_request");
    expect(toStoreError(pgError("23514"), "x").code).toBe("bad_request");
    expect(toStoreError(pgError("54000"), "x").code).toBe("too_large");
    expect(toStoreError(pgError("40P01"), "x").code).toBe("unavailable");
    expect(toStoreError(pgError("42P01"), "x").code).toBe("internal");
    expect(toStoreError(new TypeError("boom"), "x").code).toBe("internal");
  });

  it("keeps PostgreSQL's text (constraint names, bytes) out of the message, in the cause", () => {
    const unique = Object.assign(
      pgError("23505", 'duplicate key value violates unique constraint "messages_pkey"'),
      { constraint: "messages_pkey" },
    );
    const nul = pgError("22021", 'invalid byte sequence for encoding "UTF8": 0x00');
    for (const error of [
      unique,
      nul,
      pgError("ECONNREFUSED", "connect ECONNREFUSED 10.0.0.5:5432"),
    ]) {
      const mapped = toStoreError(error, "append");
      expect(mapped.message).not.toMatch(/messages_pkey|0x00|UTF8|10\.0\.0\.5|constraint/);
      expect(mapped.cause).toBe(error);
    }
  });

  it("does not take a query error for a connection error", () => {
    expect(isConnectionError(pgError("23505", "connection error in a message text"))).toBe(false);
  });
});
