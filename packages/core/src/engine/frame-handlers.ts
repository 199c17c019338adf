import type { ClientFrame, ClientFrameType } from "../protocol/schemas.js";
import {
  handleClear,
  handleDeleteForMe,
  handleEdit,
  handlePin,
  handleReact,
} from "./change-handlers.js";
import type { EngineCore } from "./engine-core.js";
import { handlePing, handleSignal, handleTyping } from "./ephemeral-handlers.js";
import { handleForward } from "./forward-handler.js";
import { handlePresenceSubscribe } from "./presence-subscribe-handler.js";
import { handleRecall } from "./recall-handler.js";
import { handleAck, handleAcks, handleRead } from "./receipt-handlers.js";
import { handleSend } from "./send-handler.js";
import type { Session } from "./session.js";
import { handleSync } from "./sync-handler.js";

/** The client frame types a ready session may send (`auth` belongs to the connection lifecycle). */
export type HandledFrameType = Exclude<ClientFrameType, "auth">;

/**
 * Handles one decoded, rate-checked frame of a ready session. Answers the client itself
 * (`core.replies`), errors included: whatever it returns or rejects with is not looked at.
 *
 * @param frameLength - the frame's length in UTF-16 units (a bound on its size)
 */
export type FrameHandler<F extends ClientFrame> = (
  core: EngineCore,
  session: Session,
  frame: F,
  frameLength: number,
) => void | Promise<void>;

/** One entry of the {@link frameHandlers} registry. */
export interface FrameHandlerEntry<F extends ClientFrame> {
  /** The handler. */
  handle: FrameHandler<F>;
  /**
   * True when `close()` must wait for it (it stores or pages data: a frame received
   * before close is answered before the node leaves).
   */
  awaitOnClose: boolean;
}

/**
 * The frame dispatch table: frame type to handler. Typed over every client frame type
 * of the protocol (`CLIENT_FRAME_SCHEMAS`), so a new frame in protocol/schemas.ts does not
 * compile until it has an entry here. To add one: write `<name>-handler.ts` exporting a {@link FrameHandler},
 * and add its entry below.
 */
export const frameHandlers: {
  readonly [T in HandledFrameType]: FrameHandlerEntry<Extract<ClientFrame, { type: T }>>;
} = {
  send: { handle: handleSend, awaitOnClose: true },
  ack: { handle: handleAck, awaitOnClose: false },
  acks: { handle: handleAcks, awaitOnClose: false },
  read: { handle: handleRead, awaitOnClose: false },
  sync: { handle: handleSync, awaitOnClose: true },
  recall: { handle: handleRecall, awaitOnClose: true },
  typing: { handle: handleTyping, awaitOnClose: false },
  signal: { handle: handleSignal, awaitOnClose: false },
  ping: { handle: handlePing, awaitOnClose: false },
  presence_subscribe: { handle: handlePresenceSubscribe, awaitOnClose: false },
  // Changes (docs/protocol.md §13.2): change-handlers.ts.
  edit: { handle: handleEdit, awaitOnClose: true },
  react: { handle: handleReact, awaitOnClose: true },
  pin: { handle: handlePin, awaitOnClose: true },
  delete_for_me: { handle: handleDeleteForMe, awaitOnClose: true },
  clear: { handle: handleClear, awaitOnClose: true },
  forward: { handle: handleForward, awaitOnClose: true },
};

/**
 * Runs the registered handler of a ready session's frame; tracks it when `close()` must
 * wait for it.
 *
 * @param frameLength - the frame's length in UTF-16 units
 */
export function dispatchFrame(
  core: EngineCore,
  session: Session,
  frame: Exclude<ClientFrame, { type: "auth" }>,
  frameLength: number,
): void {
  const entry = frameHandlers[frame.type] as FrameHandlerEntry<typeof frame>;
  const handled = entry.handle(core, session, frame, frameLength);
  if (entry.awaitOnClose && handled instanceof Promise) void core.tasks.track(handled);
}
