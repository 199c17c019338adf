import type { CursorMove, CursorMoved, CursorStore } from "../contracts/cursor-store.js";

/**
 * `CursorStore.markMany` for a store without it: each move through `markDelivered` or
 * `markRead` (same rules, one round trip each, run together), the cursors that moved
 * reported with their stored values.
 */
export function markManyFallback(
  cursors: Pick<CursorStore, "markDelivered" | "markRead">,
): (moves: readonly CursorMove[]) => Promise<CursorMoved[]> {
  return async (moves) => {
    const stored = await Promise.all(
      moves.map((move) =>
        move.kind === "read"
          ? cursors.markRead(move.userId, move.conversationId, move.seq)
          : cursors.markDelivered(move.userId, move.conversationId, move.seq),
      ),
    );
    return moves.flatMap((move, i) => {
      const seq = stored[i];
      return seq === undefined
        ? []
        : [{ userId: move.userId, conversationId: move.conversationId, seq, kind: move.kind }];
    });
  };
}
