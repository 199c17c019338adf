import type { Message } from "../domain/message.js";
import type { ImServer } from "../engine/im-server.js";

/**
 * The part of an OpenTelemetry `Tracer` (`@opentelemetry/api`) this module uses. Typed here so
 * core does not depend on the API package: pass `trace.getTracer("lucky-im")` from your own.
 */
export interface OpenTelemetryTracerLike {
  /** Starts a span (OpenTelemetry `Tracer.startSpan`). */
  startSpan(
    name: string,
    options?: {
      /** 3 = PRODUCER, 4 = CONSUMER (OpenTelemetry `SpanKind`). */
      kind?: number;
      /** Epoch milliseconds. */
      startTime?: number;
      /** The span's attributes. */
      attributes?: Record<string, string | number | boolean>;
      /** Spans this one follows from (their `spanContext()`). */
      links?: { context: OpenTelemetrySpanContextLike }[];
    },
  ): OpenTelemetrySpanLike;
}

/** The part of an OpenTelemetry `Span` this module uses. */
export interface OpenTelemetrySpanLike {
  /** Ends the span at `endTime` (epoch milliseconds). */
  end(endTime?: number): void;
  /** The span's context, to link later spans to it. */
  spanContext(): OpenTelemetrySpanContextLike;
}

/** The part of an OpenTelemetry `SpanContext` this module passes on (in span links). */
export interface OpenTelemetrySpanContextLike {
  /** The trace's id (32 hex digits). */
  traceId: string;
  /** The span's id (16 hex digits). */
  spanId: string;
  /** W3C trace flags (1: sampled). */
  traceFlags: number;
}

/** Options of {@link traceWithOpenTelemetry}. */
export interface OpenTelemetryTracingOptions {
  /**
   * Put user ids on the spans: the sender's and the recipient's (`lucky_im.sender`,
   * `lucky_im.recipient`), and a direct conversation's id, which names both users, as
   * `messaging.destination.name` (otherwise `"direct"`). Off by default: user ids may be personal
   * data in a tracing backend.
   * @default false
   */
  recordUserIds?: boolean;
  /**
   * Store spans remembered to link the delivery spans of the same message to (on this node).
   * @default 10000
   */
  maxLinkedMessages?: number;
}

/** OpenTelemetry `SpanKind.PRODUCER` and `SpanKind.CONSUMER`. */
const PRODUCER = 3;
const CONSUMER = 4;

/**
 * Traces the send path of an engine with OpenTelemetry, when the application uses it: a
 * `lucky_im.store` span per stored message (from the frame's arrival to the stored message and
 * its outbox entry) and a `lucky_im.deliver` span per recipient session's ack (from stored to
 * acked), linked to the store span when both happen on this node. Built from the engine's
 * `message` and `delivered` events: nothing is added to the send path when it is not called.
 * Returns a function that stops the tracing.
 *
 * @example
 * ```ts
 * import { trace } from "@opentelemetry/api";
 * const stop = traceWithOpenTelemetry(im, trace.getTracer("lucky-im"));
 * ```
 */
export function traceWithOpenTelemetry(
  im: ImServer,
  tracer: OpenTelemetryTracerLike,
  options: OpenTelemetryTracingOptions = {},
): () => void {
  const recordUserIds = options.recordUserIds ?? false;
  const maxLinked = options.maxLinkedMessages ?? 10_000;
  // Insertion-ordered: the oldest entry is the first to go.
  const storeSpans = new Map<string, OpenTelemetrySpanContextLike>();
  // A direct conversation's id is made of its two user ids.
  const destination = (conversationId: string) =>
    recordUserIds || !conversationId.startsWith("d:") ? conversationId : "direct";

  const onMessage = (message: Message, latencyMs: number) => {
    const storedAt = Date.now();
    const span = tracer.startSpan("lucky_im.store", {
      kind: PRODUCER,
      startTime: storedAt - latencyMs,
      attributes: {
        "messaging.system": "lucky_im",
        "messaging.operation.type": "send",
        "messaging.destination.name": destination(message.conversationId),
        "messaging.message.id": message.messageId,
        "lucky_im.seq": message.seq,
        "lucky_im.target_type": message.to.type,
        ...(recordUserIds ? { "lucky_im.sender": message.from } : {}),
      },
    });
    span.end(storedAt);
    storeSpans.set(message.messageId, span.spanContext());
    if (storeSpans.size > maxLinked) {
      const oldest = storeSpans.keys().next().value;
      if (oldest !== undefined) storeSpans.delete(oldest);
    }
  };

  const onDelivered = (
    message: { messageId: string; conversationId: string; seq: number },
    userId: string,
    latencyMs: number,
  ) => {
    const ackedAt = Date.now();
    const stored = storeSpans.get(message.messageId);
    const span = tracer.startSpan("lucky_im.deliver", {
      kind: CONSUMER,
      startTime: ackedAt - latencyMs,
      attributes: {
        "messaging.system": "lucky_im",
        "messaging.operation.type": "receive",
        "messaging.destination.name": destination(message.conversationId),
        "messaging.message.id": message.messageId,
        "lucky_im.seq": message.seq,
        ...(recordUserIds ? { "lucky_im.recipient": userId } : {}),
      },
      ...(stored === undefined ? {} : { links: [{ context: stored }] }),
    });
    span.end(ackedAt);
  };

  im.on("message", onMessage);
  im.on("delivered", onDelivered);
  return () => {
    im.off("message", onMessage);
    im.off("delivered", onDelivered);
    storeSpans.clear();
  };
}
