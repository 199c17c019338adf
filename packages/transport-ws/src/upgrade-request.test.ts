import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { bearerToken, deviceHints, pathOf, remoteAddressOf } from "./upgrade-request.js";

describe("upgrade request parsing", () => {
  it("pathOf drops the query", () => {
    expect(pathOf("/ws?deviceId=a")).toBe("/ws");
    expect(pathOf("/ws")).toBe("/ws");
    expect(pathOf(undefined)).toBe("/");
  });

  it("deviceHints reads deviceId and deviceClass, ignoring empty or oversized values", () => {
    expect(deviceHints("/ws?deviceId=p1&deviceClass=mobile")).toEqual({
      deviceId: "p1",
      deviceClass: "mobile",
    });
    expect(deviceHints("/ws?deviceId=&x=1")).toEqual({});
    expect(deviceHints(`/ws?deviceId=${"a".repeat(129)}`)).toEqual({});
    expect(deviceHints("/ws")).toEqual({});
  });

  it("bearerToken tells no header, a bad header and a token apart", () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken("Bearer abc.def")).toBe("abc.def");
    expect(bearerToken("bearer  abc ")).toBe("abc");
    expect(bearerToken("Bearer")).toBeNull();
    expect(bearerToken("Bearer a b")).toBeNull();
    expect(bearerToken("Basic Zm9v")).toBeNull();
  });

  it("remoteAddressOf trusts X-Forwarded-For (its last hop) only when told to", () => {
    const req = {
      // The client wrote the first hop; the trusted proxy appended the last.
      headers: { "x-forwarded-for": " 198.51.100.7 , 203.0.113.9" },
      socket: { remoteAddress: "10.0.0.2" },
    } as unknown as IncomingMessage;
    expect(remoteAddressOf(req, true)).toBe("203.0.113.9");
    expect(remoteAddressOf(req, false)).toBe("10.0.0.2");
    const bare = {
      headers: {},
      socket: { remoteAddress: "10.0.0.3" },
    } as unknown as IncomingMessage;
    expect(remoteAddressOf(bare, true)).toBe("10.0.0.3");
  });
});
