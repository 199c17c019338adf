import { describe, expect, it } from "vitest";
import type { TransportConnection } from "../contracts/transport.js";
import { Session } from "./session.js";
import { waitForRoom } from "./wait-for-room.js";

/** A connection of a transport written before `waitForDrain`: only `bufferedAmount`. */
function legacyConnection(): TransportConnection & { bufferedAmount: number } {
  return {
    id: "c1",
    info: {},
    bufferedAmount: 0,
    send: () => true,
    close: () => {},
  };
}

describe("waitForRoom without waitForDrain", () => {
  it("polls bufferedAmount until there is room", async () => {
    const connection = legacyConnection();
    connection.bufferedAmount = 1000;
    const session = new Session(connection);
    let room: boolean | undefined;
    const waiting = waitForRoom(session, 100).then((value) => {
      room = value;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(room).toBeUndefined();
    connection.bufferedAmount = 50;
    await waiting;
    expect(room).toBe(true);
  });

  it("gives up once the session closed", async () => {
    const connection = legacyConnection();
    connection.bufferedAmount = 1000;
    const session = new Session(connection);
    const waiting = waitForRoom(session, 100);
    session.state = "closed";
    await expect(waiting).resolves.toBe(false);
  });
});
