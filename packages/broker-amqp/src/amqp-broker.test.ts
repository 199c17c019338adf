import { describe, expect, it } from "vitest";
import { createAmqpBroker } from "./amqp-broker.js";

describe("createAmqpBroker options", () => {
  it("needs a url or a connection", () => {
    expect(() => createAmqpBroker({})).toThrow(expect.objectContaining({ code: "bad_request" }));
  });

  it("refuses limits that are not positive", () => {
    for (const bad of [{ prefetch: 0 }, { deliveryLimit: -1 }, { publishTimeoutMs: Number.NaN }]) {
      expect(() => createAmqpBroker({ url: "amqp://127.0.0.1:1", ...bad })).toThrow(
        expect.objectContaining({ code: "bad_request" }),
      );
    }
  });
});
