/** The transport backpressure conformance suite over real sockets: a `ws` client that pauses its socket. */
import type { TransportConnection } from "@lucky-im/core";
import { transportBackpressureConformance } from "@lucky-im/core/testing";
import { createWsTransport } from "@lucky-im/transport-ws";
import { WebSocket } from "ws";
import { waitFor, wsUrl } from "./helpers.js";

transportBackpressureConformance({
  name: "WebSocket",
  async open(limits) {
    const transport = createWsTransport({
      port: 0,
      host: "127.0.0.1",
      ...limits,
      // A client that never reads never answers the closing handshake either.
      closeTimeoutMs: 200,
    });
    let connection: TransportConnection | undefined;
    let reportClose!: (code: number) => void;
    const closed = new Promise<number>((resolve) => {
      reportClose = resolve;
    });
    await transport.listen({
      authenticate: async () => {
        throw new Error("not used");
      },
      open(opened) {
        connection = opened;
        return { onFrame() {}, onClose: (code) => reportClose(code) };
      },
    });
    const received: string[] = [];
    const ws = new WebSocket(wsUrl(transport.address()));
    ws.on("message", (data) => received.push(data.toString()));
    ws.on("error", () => {});
    await new Promise((resolve) => ws.once("open", resolve));
    // Stop reading the TCP socket: what the server writes piles up in kernel buffers, then in ws.
    ws.pause();
    await waitFor(() => connection, "the server side of the connection");
    return {
      connection: connection!,
      closed,
      resume: () => ws.resume(),
      received: () => received,
      async dispose() {
        ws.terminate();
        await transport.close();
      },
    };
  },
});
