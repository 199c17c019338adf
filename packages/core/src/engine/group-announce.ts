import type { GroupEvent } from "../protocol/schemas.js";
import type { EngineCore } from "./engine-core.js";

/**
 * Tells every node that a group changed (each drops its cached membership)
 * and sends a `group` frame to `audience`, wherever they are connected.
 *
 * @internal
 */
export async function announceGroupEvent(
  core: EngineCore,
  groupId: string,
  event: GroupEvent,
  userIds: string[],
  by: string,
  audience: readonly string[],
): Promise<void> {
  core.groupCache.invalidate(groupId);
  try {
    await core.broker.broadcast({ type: "group_changed", groupId });
  } catch (error) {
    core.errors.report(error, "broadcasting a group change");
  }
  await core.delivery.deliverFrame([...new Set(audience)], {
    type: "group",
    groupId,
    event,
    userIds,
    by,
  });
}
