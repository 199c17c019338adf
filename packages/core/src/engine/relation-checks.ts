import type { Relation } from "../domain/contact.js";
import { ImError } from "../errors.js";
import type { RelationCache } from "./relation-cache.js";

/**
 * The one answer to a refused direct message, typing notice or call signal, whether
 * the recipient blocked the sender or accepts messages from contacts only: a block is
 * not revealed.
 */
function refusedDirect(): ImError {
  return new ImError("forbidden", "this user does not accept your messages");
}

/** Whether `relation` (seen from the sender) lets the sender reach the other user directly. */
function mayReachDirectly(relation: Relation): boolean {
  if (relation.blockedBy) return false;
  return relation.privacy.directMessages === "anyone" || relation.contact;
}

/**
 * Before a direct `send`, `typing` or `signal` from `from` to `to`: refuses with
 * `forbidden` when `to` blocked `from`, or accepts messages from contacts only and the
 * two are not contacts. Undefined (no promise, no store round trip) when the relation
 * is cached and allows it; throws at once when it is cached and refuses.
 */
export function checkDirectReach(
  relations: RelationCache,
  from: string,
  to: string,
): Promise<void> | undefined {
  if (from === to) return undefined;
  const cached = relations.peek(from, to);
  if (cached) {
    if (!mayReachDirectly(cached)) throw refusedDirect();
    return undefined;
  }
  return relations.get(from, [to]).then(([relation]) => {
    if (relation && !mayReachDirectly(relation)) throw refusedDirect();
  });
}

/**
 * Before `by` adds `userIds` to a group: refuses with `forbidden` when one of them blocked
 * `by`, or lets contacts only (and `by` is not one) or nobody add them. One message for
 * every cause, so that a block is not revealed.
 */
export async function checkGroupAddsAllowed(
  relations: RelationCache,
  by: string,
  userIds: readonly string[],
): Promise<void> {
  const others = userIds.filter((id) => id !== by);
  if (others.length === 0) return;
  const refused = (await relations.get(by, others)).filter(
    (r) =>
      r.blockedBy ||
      r.privacy.groupInvites === "nobody" ||
      (r.privacy.groupInvites === "contacts" && !r.contact),
  );
  if (refused.length > 0) {
    throw new ImError(
      "forbidden",
      `these users cannot be added to a group by you: ${refused.map((r) => r.userId).join(", ")}`,
      { details: { userIds: refused.map((r) => r.userId) } },
    );
  }
}
