import { type MessageFrame, traceWithOpenTelemetry } from "@lucky-im/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { scenarioServers, sendText } from "../../../test/engine-scenario-harness.js";
import { createMemoryStorage } from "../src/index.js";

const start = scenarioServers(async () => ({ storage: createMemoryStorage() }));

/** A tracer of the real OpenTelemetry SDK whose finished spans the test reads. */
function recordingTracer() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, tracer: provider.getTracer("lucky-im-test") };
}

describe("traceWithOpenTelemetry", () => {
  it("records a store span per message and a linked deliver span per ack, without user ids", async () => {
    const { im, login } = await start();
    const { exporter, tracer } = recordingTracer();
    traceWithOpenTelemetry(im, tracer);
    const alice = await login("alice");
    const bob = await login("bob");

    const sent = await sendText(alice, "bob", "hello");
    const pushed = await bob.next<MessageFrame>("message");
    bob.send({ type: "ack", conversationId: pushed.conversationId, seq: pushed.seq });
    await expect.poll(() => exporter.getFinishedSpans().length).toBe(2);

    const [store, deliver] = exporter.getFinishedSpans();
    expect(store!.name).toBe("lucky_im.store");
    expect(store!.kind).toBe(3);
    expect(store!.attributes).toMatchObject({
      "messaging.system": "lucky_im",
      // A direct conversation's id names both users: left out unless asked.
      "messaging.destination.name": "direct",
      "messaging.message.id": sent.messageId,
      "lucky_im.seq": sent.seq,
      "lucky_im.target_type": "user",
    });
    expect(deliver!.name).toBe("lucky_im.deliver");
    expect(deliver!.kind).toBe(4);
    expect(deliver!.attributes["messaging.message.id"]).toBe(sent.messageId);
    // Linked to the store span of the same message on this node.
    expect(deliver!.links.map((l) => l.context.spanId)).toEqual([store!.spanContext().spanId]);
    for (const span of [store!, deliver!]) {
      expect(JSON.stringify(span.attributes)).not.toMatch(/alice|bob/);
    }
  });

  it("puts user ids on the spans only when asked, and stops when told", async () => {
    const { im, login } = await start();
    const { exporter, tracer } = recordingTracer();
    const stop = traceWithOpenTelemetry(im, tracer, { recordUserIds: true });
    const alice = await login("alice");
    const bob = await login("bob");
    await sendText(alice, "bob", "one");
    const pushed = await bob.next<MessageFrame>("message");
    bob.send({ type: "ack", conversationId: pushed.conversationId, seq: pushed.seq });
    await expect.poll(() => exporter.getFinishedSpans().length).toBe(2);
    const [store, deliver] = exporter.getFinishedSpans();
    expect(store!.attributes["lucky_im.sender"]).toBe("alice");
    expect(store!.attributes["messaging.destination.name"]).toBe(pushed.conversationId);
    expect(deliver!.attributes["lucky_im.recipient"]).toBe("bob");

    stop();
    await sendText(alice, "bob", "two");
    await bob.next((f) => f.type === "message" && f.seq === 2);
    expect(exporter.getFinishedSpans()).toHaveLength(2);
  });
});
