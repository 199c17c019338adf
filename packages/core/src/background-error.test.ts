import { describe, expect, it } from "vitest";
import { type BackgroundErrorHandler, reportBackgroundError } from "./background-error.js";
import { ImError, isImError } from "./errors.js";

describe("reportBackgroundError", () => {
  it("hands an ImError on as it is, with the context", () => {
    const seen: [ImError, string][] = [];
    const error = new ImError("unavailable", "down");
    reportBackgroundError((e, context) => seen.push([e, context]), error, "outbox LISTEN");
    expect(seen).toEqual([[error, "outbox LISTEN"]]);
  });

  it("wraps anything else in an ImError of the given code, keeping it as cause", () => {
    const seen: ImError[] = [];
    const cause = new Error("ECONNRESET");
    reportBackgroundError((e) => seen.push(e), cause, "redis connection", "unavailable");
    expect(isImError(seen[0])).toBe(true);
    expect(seen[0]).toMatchObject({ code: "unavailable", message: "ECONNRESET", cause });
    reportBackgroundError((e) => seen.push(e), "a string", "x");
    expect(seen[1]).toMatchObject({ code: "internal", message: "a string" });
  });

  it("swallows a handler that throws: the background work goes on", () => {
    const throwing: BackgroundErrorHandler = () => {
      throw new Error("handler bug");
    };
    expect(() => reportBackgroundError(throwing, new Error("x"), "y")).not.toThrow();
  });
});
