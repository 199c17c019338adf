import { ImError } from "../errors.js";
import type { PresenceStatus, PresenceSubscribeFrame } from "../protocol/schemas.js";
import type { EngineCore } from "./engine-core.js";
import type { Session } from "./session.js";

/**
 * `presence_subscribe`: replaces the session's watch list with the users it may see
 * (conversation partners and the host's `relatedUsers`; others are left out silently, so
 * the answer reveals nothing about strangers), answers `presence_state` with each one's
 * status, then the session gets `presence` frames on their changes.
 */
export async function handlePresenceSubscribe(
  core: EngineCore,
  session: Session,
  frame: PresenceSubscribeFrame,
): Promise<void> {
  try {
    const viewer = session.userId!;
    const asked = [...new Set(frame.userIds)];
    const max = core.limits.maxPresenceSubscriptions;
    if (asked.length > max)
      throw new ImError("too_large", `at most ${max} users per presence subscription`, {
        details: { limit: max },
      });
    const visible = asked.length === 0 ? [] : await core.presenceAudience.visibleTo(viewer, asked);
    if (session.isClosed) return;
    // Watch first, then read: a change meanwhile arrives after the state, never lost.
    core.presenceSubscriptions.subscribe(session, visible);
    const users = await currentStatus(core, viewer, visible);
    core.replies.send(
      session,
      frame.cid === undefined
        ? { type: "presence_state", users }
        : { type: "presence_state", users, cid: frame.cid },
    );
  } catch (error) {
    core.replies.error(session, error, frame.cid);
  }
}

/** Each user's online status and last seen (hidden when the user hides it). */
async function currentStatus(
  core: EngineCore,
  viewer: string,
  userIds: readonly string[],
): Promise<PresenceStatus[]> {
  if (userIds.length === 0) return [];
  const [statuses, profiles] = await Promise.all([
    core.presence.status(userIds),
    core.storage.profiles.getMany(userIds),
  ]);
  const byUser = new Map(profiles.map((p) => [p.userId, p] as const));
  return userIds.map((userId) => {
    const status = statuses.get(userId);
    const online = status?.online ?? false;
    const profile = byUser.get(userId);
    if (online || (profile?.hideLastSeen && userId !== viewer)) return { userId, online };
    const lastSeen = Math.max(status?.lastSeen ?? 0, profile?.lastSeenAt ?? 0);
    return lastSeen > 0 ? { userId, online, lastSeen } : { userId, online };
  });
}
