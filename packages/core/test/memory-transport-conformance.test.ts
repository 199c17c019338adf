/** The transport conformance suite on the in-memory transport. */
import { CloseCode, createMemoryTransport } from "@lucky-im/core";
import { transportConformance } from "@lucky-im/core/testing";

transportConformance({
  name: "memory",
  async create(limits) {
    const transport = createMemoryTransport(limits);
    return {
      transport,
      async connect(options) {
        const client = await transport.connect(options);
        return {
          send: (data) => client.send(data),
          // The memory client parses frames; the suite's frames are JSON.stringify output.
          received: () => client.frames.map((frame) => JSON.stringify(frame)),
          closed: client.closed.then((code) => ({ code, reason: client.closeReason ?? "" })),
          close: (code) => client.close(code),
          pause: () => client.pause(),
          resume: () => client.resume(),
          terminate: () => client.close(CloseCode.normal),
        };
      },
    };
  },
});
