/** The transport conformance suite over real sockets: a `ws` client that can pause its socket. */
import { transportConformance } from "@lucky-im/core/testing";
import { createWsTransport } from "@lucky-im/transport-ws";
import { openClient, wsUrl } from "./helpers.js";

transportConformance({
  name: "WebSocket",
  async create(limits) {
    const transport = createWsTransport({
      port: 0,
      host: "127.0.0.1",
      ...limits,
      // A client that never reads never answers the closing handshake either.
      closeTimeoutMs: 200,
    });
    return {
      transport,
      async connect(options) {
        const headers: Record<string, string> = {};
        if (options?.token) headers.Authorization = `Bearer ${options.token}`;
        const client = await openClient(wsUrl(transport.address()), undefined, { headers });
        client.ws.on("error", () => {});
        return {
          send: (data) => client.ws.send(data),
          received: () => client.messages,
          closed: client.closed,
          close: (code) => client.ws.close(code),
          // Stop reading the TCP socket: what the server writes piles up in kernel buffers, then in ws.
          pause: () => client.ws.pause(),
          resume: () => client.ws.resume(),
          terminate: () => client.ws.terminate(),
        };
      },
    };
  },
});
