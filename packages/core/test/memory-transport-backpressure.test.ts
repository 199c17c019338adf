import { createMemoryTransport, type TransportConnection } from "@lucky-im/core";
import { transportBackpressureConformance } from "@lucky-im/core/testing";

transportBackpressureConformance({
  name: "memory",
  async open(limits) {
    const transport = createMemoryTransport(limits);
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
    const client = await transport.connect();
    client.pause();
    return {
      connection: connection!,
      closed,
      resume: () => client.resume(),
      received: () => client.frames.map((frame) => JSON.stringify(frame)),
      dispose: () => transport.close(),
    };
  },
});
