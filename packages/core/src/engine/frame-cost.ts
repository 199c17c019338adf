import type { ClientFrame } from "../protocol/schemas.js";

/** How many entries of an `acks` frame cost as much as one frame against the rate limit. */
export const ACKS_PER_RATE_POINT = 10;

/**
 * What a decoded frame costs against the connection's rate limit (docs/protocol.md §3.3, §9):
 * one point, but an `acks` frame one point per started {@link ACKS_PER_RATE_POINT} entries, so
 * a frame that does the work of many `ack` frames is paced like several frames (a full frame of
 * 100 entries costs 10). Per entry would make a reconnecting client's batched acks cost more
 * than the single acks they replace; per frame let one frame buy 100 participant checks.
 */
export function frameCost(frame: ClientFrame | undefined): number {
  if (frame?.type !== "acks") return 1;
  return Math.max(1, Math.ceil(frame.acks.length / ACKS_PER_RATE_POINT));
}
