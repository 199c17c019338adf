import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { eventually } from "../src/testing/eventually.js";
import { sendText, startServer } from "./engine-helpers.js";

/** A pino logger writing JSON lines into an array. */
function capturingPino() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: "info" }, stream), lines };
}

describe("logger", () => {
  it("takes a pino logger as it is: fields first, then the message", async () => {
    const { logger, lines } = capturingPino();
    const server = await startServer({
      logger,
      hooks: {
        async onOffline() {
          throw new Error("push service down");
        },
      },
    });
    try {
      const alice = await server.login("alice");
      await sendText(alice, { type: "user", id: "bob" }, "are you there?");
      await eventually(() => expect(lines.length).toBeGreaterThan(0));
      expect(lines[0]).toMatchObject({
        level: 50,
        code: "internal",
        msg: expect.stringContaining("[lucky-im] [core] onOffline hook"),
      });
    } finally {
      await server.close();
    }
  });
});
