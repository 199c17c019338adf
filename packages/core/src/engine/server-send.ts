import { decodeClientFrame, SYSTEM_SENDER_ID } from "@lucky-im/protocol";
import { conversationIdFor } from "../domain/conversation.js";
import type { Message, MessageDraft } from "../domain/message.js";
import type { Principal } from "../domain/session.js";
import { ImError, isImError } from "../errors.js";
import { type MessageBody, type Target, UserIdSchema } from "../protocol/schemas.js";
import type { EngineCore } from "./engine-core.js";
import { newMessageId } from "./message-ids.js";
import { applyBeforeSend, publishStored } from "./message-submission.js";
import { checkDirectReach } from "./relation-checks.js";
import { checkBody, resolveParticipants } from "./send-handler.js";
import { resolveSendReferences } from "./send-references.js";

/**
 * A message the application sends from its backend (`ImServer.send`, docs/protocol.md §14).
 * Name exactly one of `to` (a user) and `groupId` (a group).
 */
export interface ServerSendInput {
  /**
   * The sending user. Absent (or `SYSTEM_SENDER_ID`): the application itself, shown as a
   * system notice (`system: true` on the `message` frame).
   */
  from?: string;
  /** The recipient user (a direct message). */
  to?: string;
  /** The recipient group. */
  groupId?: string;
  /** The content, as in a client's `send` frame. */
  body: MessageBody;
  /**
   * The idempotency key, unique per sender (1..128 characters): sending the same `from` and
   * `cid` again stores nothing and returns the message stored the first time.
   */
  cid: string;
  /** The id of a message of the same conversation this one replies to. */
  replyTo?: string;
  /** Mentioned user ids, or `["all"]`. */
  mentions?: string[];
}

/** What `ImServer.send` returns. */
export interface ServerSendResult {
  /** The stored message (for a repeated `cid`: the one stored the first time). */
  message: Message;
  /** False when the `cid` was already stored and nothing new was sent. */
  created: boolean;
}

/** The outcome of one message of `ImServer.sendMany` or one recipient of `ImServer.broadcast`. */
export type ServerSendOutcome =
  | {
      /** Stored (or found stored under its `cid`). */
      ok: true;
      /** The message's `cid`. */
      cid: string;
      /** The stored message. */
      message: Message;
      /** False when the `cid` was already stored. */
      created: boolean;
    }
  | {
      /** Refused or failed; nothing was stored for it unless a retry finds it stored. */
      ok: false;
      /** The message's `cid`. */
      cid: string;
      /** Why (`not_found`, `forbidden`, `unavailable`, ...). */
      error: ImError;
    };

/** A message for a list of users (`ImServer.broadcast`): one direct message each. */
export interface BroadcastInput {
  /** The sending user; absent: the application itself (see {@link ServerSendInput.from}). */
  from?: string;
  /** The recipients (repeats are ignored). */
  userIds: string[];
  /** The content. */
  body: MessageBody;
  /**
   * The broadcast's idempotency key (1..64 characters). Each recipient's message gets the
   * `cid` `<cid>/<userId>` (at most 128 characters), so repeating the broadcast sends nothing twice.
   */
  cid: string;
}

/** One recipient's outcome of `ImServer.broadcast`. */
export type BroadcastOutcome = ServerSendOutcome & {
  /** The recipient. */
  userId: string;
};

/** Largest broadcast `cid`: with a user id, `<cid>/<userId>` must stay a valid cid. */
const MAX_BROADCAST_CID = 64;
const MAX_CID = 128;
/** The protocol's user id pattern (`UserIdSchema`). */
const USER_ID_PATTERN = new RegExp(UserIdSchema.pattern ?? "^.+$");

/** Whether `id` is a valid user id (docs/protocol.md §2). */
function isUserId(id: unknown): id is string {
  return typeof id === "string" && id.length <= 128 && USER_ID_PATTERN.test(id);
}

/** A checked server send: the sender resolved, the target as a `Target`. */
interface CheckedSend {
  from: string;
  to: Target;
  body: MessageBody;
  cid: string;
  replyTo?: string;
  mentions?: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The sender of a server send: a valid user id, or the system sender when absent. */
function checkFrom(from: unknown, where: string): string {
  if (from === undefined || from === SYSTEM_SENDER_ID) return SYSTEM_SENDER_ID;
  if (!isUserId(from)) {
    throw new ImError(
      "bad_request",
      `${where}"from" must be a user id (1..128 characters, no whitespace or ":")`,
    );
  }
  return from;
}

/**
 * Validates one server send like a client's `send` frame (the protocol's schema, JSON
 * limits, accepted body types, `maxBodyBytes`), without trusting the input's shape.
 *
 * @param where - a prefix naming the item in error messages (`messages[3]: `)
 */
export function checkServerSend(core: EngineCore, input: unknown, where = ""): CheckedSend {
  if (!isRecord(input)) throw new ImError("bad_request", `${where}a message must be an object`);
  const from = checkFrom(input.from, where);
  const hasTo = input.to !== undefined;
  const hasGroup = input.groupId !== undefined;
  if (hasTo === hasGroup) {
    throw new ImError("bad_request", `${where}name exactly one of "to" (a user) and "groupId"`);
  }
  const to: Target = hasTo
    ? { type: "user", id: input.to as string }
    : { type: "group", id: input.groupId as string };
  if (to.type === "user" && to.id === SYSTEM_SENDER_ID) {
    throw new ImError("bad_request", `${where}the system sender cannot receive messages`);
  }
  if (input.body === undefined) throw new ImError("bad_request", `${where}"body" is required`);
  let bodyText: string | undefined;
  try {
    bodyText = JSON.stringify(input.body);
  } catch {
    bodyText = undefined;
  }
  if (bodyText === undefined) {
    throw new ImError("bad_request", `${where}"body" must be JSON`);
  }
  const bytes = Buffer.byteLength(bodyText);
  if (bytes > core.limits.maxBodyBytes) {
    throw new ImError(
      "too_large",
      `${where}message body is ${bytes} bytes; the limit is ${core.limits.maxBodyBytes}`,
    );
  }
  const frame: Record<string, unknown> = {
    type: "send",
    cid: input.cid,
    to,
    body: input.body,
  };
  if (input.replyTo !== undefined) frame.replyTo = input.replyTo;
  if (input.mentions !== undefined) frame.mentions = input.mentions;
  // The client frame's decoder: the same schema, forbidden keys and ill-formed strings.
  const decoded = decodeClientFrame(JSON.stringify(frame), {
    maxDepth: core.limits.maxJsonDepth,
    maxBytes: Number.MAX_SAFE_INTEGER,
  });
  if (!decoded.ok) {
    const reason = decoded.error.message.replace('invalid "send" frame', "invalid message");
    throw new ImError("bad_request", `${where}${reason}`);
  }
  const send = decoded.frame as Extract<typeof decoded.frame, { type: "send" }>;
  try {
    checkBody(core, send.body, Number.POSITIVE_INFINITY);
  } catch (error) {
    if (isImError(error)) throw new ImError(error.code, `${where}${error.message}`);
    throw error;
  }
  const checked: CheckedSend = { from, to: send.to, body: send.body, cid: send.cid };
  if (send.replyTo !== undefined) checked.replyTo = send.replyTo;
  if (send.mentions !== undefined) checked.mentions = send.mentions;
  return checked;
}

/** The members of a group the system sender writes to (no membership or mute applies). */
async function groupParticipants(core: EngineCore, groupId: string): Promise<string[]> {
  const group = (await core.groupCache.get(groupId)) ?? (await core.groupCache.reload(groupId));
  if (!group) throw new ImError("not_found", `group ${groupId} does not exist`);
  return group.memberIds;
}

/**
 * Stores and delivers one checked server send through the path of the `send` frame:
 * `storage.messages.append` (message and outbox entry in one call, de-duplicated by
 * `(from, cid)`), then the settlement, which delivers on every node and leaves whatever
 * it could not confirm to the outbox relay of any node.
 *
 * Checks, as a user: blocks and the recipient's privacy (direct), membership and mutes
 * (group), `beforeSend`. Bypassed: the per-sender budget on first messages to strangers
 * and the per-connection frame rate (the backend is trusted and sends in bulk by design).
 * As the system sender: only the group's existence and `beforeSend`: users cannot block the
 * application, and the system sender is no member.
 */
export async function submitServerSend(
  core: EngineCore,
  send: CheckedSend,
): Promise<ServerSendResult> {
  const receivedAt = Date.now();
  const { from, to } = send;
  const system = from === SYSTEM_SENDER_ID;
  let participants: string[];
  if (to.type === "user") {
    if (!system) {
      const reach = checkDirectReach(core.relations, from, to.id);
      if (reach) await reach;
    }
    participants = system ? [to.id] : to.id === from ? [from] : [from, to.id];
  } else {
    participants = system
      ? await groupParticipants(core, to.id)
      : await resolveParticipants(core, from, to, receivedAt);
  }
  const conversationId = conversationIdFor(from, to);
  const principal: Principal = { userId: from, claims: {} };
  const body = await applyBeforeSend(core, principal, to, conversationId, send.body, "server");
  const draft: MessageDraft = {
    messageId: newMessageId(),
    conversationId,
    from,
    to: { type: to.type, id: to.id },
    body,
    cid: send.cid,
    ts: receivedAt,
    participants,
  };
  if (send.replyTo !== undefined || send.mentions !== undefined) {
    Object.assign(
      draft,
      await resolveSendReferences(core, from, conversationId, participants, send, system),
    );
  }
  const result = await core.storage.messages.append(draft);
  // The system sender has no cursor: there is no unread count of its own to keep at zero.
  publishStored(core, draft, result, { receivedAt, senderReads: !system });
  return { message: result.message, created: result.created };
}

/** An outcome for a refusal or failure (a non-ImError is `internal`, its cause kept). */
function failed(cid: string, error: unknown): ServerSendOutcome {
  const imError = isImError(error)
    ? (error as ImError)
    : new ImError("internal", "the message could not be stored", { cause: error });
  return { ok: false, cid, error: imError };
}

/**
 * Checks a batch (an array of at most `limits.maxServerBatch` valid messages: otherwise
 * nothing is stored), then stores and delivers its messages in order, one at a time, so
 * that messages of one conversation keep the batch's order. Refusals are per message.
 */
export async function serverSendMany(
  core: EngineCore,
  inputs: unknown,
): Promise<ServerSendOutcome[]> {
  if (!Array.isArray(inputs)) throw new ImError("bad_request", "messages must be an array");
  if (inputs.length === 0) throw new ImError("bad_request", "messages must not be empty");
  if (inputs.length > core.limits.maxServerBatch) {
    throw new ImError(
      "too_large",
      `a batch holds at most ${core.limits.maxServerBatch} messages (got ${inputs.length})`,
      { details: { max: core.limits.maxServerBatch } },
    );
  }
  const checked = inputs.map((input, i) => checkServerSend(core, input, `messages[${i}]: `));
  const outcomes: ServerSendOutcome[] = [];
  for (const send of checked) {
    try {
      const { message, created } = await submitServerSend(core, send);
      outcomes.push({ ok: true, cid: send.cid, message, created });
    } catch (error) {
      outcomes.push(failed(send.cid, error));
    }
  }
  return outcomes;
}

/**
 * A direct message to each of `userIds` (at most `limits.maxBroadcastUsers`), each with the
 * `cid` `<cid>/<userId>`, stored and delivered `limits.broadcastConcurrency` at a time.
 * Bad input stores nothing; refusals (a user who blocked `from`) are per recipient.
 */
export async function serverBroadcast(
  core: EngineCore,
  input: unknown,
): Promise<BroadcastOutcome[]> {
  if (!isRecord(input)) throw new ImError("bad_request", "a broadcast must be an object");
  const { userIds } = input;
  if (!Array.isArray(userIds) || userIds.length === 0) {
    throw new ImError("bad_request", '"userIds" must be a non-empty array of user ids');
  }
  const recipients = [...new Set(userIds)];
  if (recipients.length > core.limits.maxBroadcastUsers) {
    throw new ImError(
      "too_large",
      `a broadcast reaches at most ${core.limits.maxBroadcastUsers} users (got ${recipients.length})`,
      { details: { max: core.limits.maxBroadcastUsers } },
    );
  }
  const bad = recipients.find((id) => !isUserId(id));
  if (bad !== undefined) {
    throw new ImError("bad_request", `"userIds" holds an invalid user id: ${JSON.stringify(bad)}`);
  }
  const { cid } = input;
  if (typeof cid !== "string" || cid.length < 1 || cid.length > MAX_BROADCAST_CID) {
    throw new ImError(
      "bad_request",
      `"cid" must be a string of 1..${MAX_BROADCAST_CID} characters`,
    );
  }
  const sends = (recipients as string[]).map((userId) => {
    const itemCid = `${cid}/${userId}`;
    if (itemCid.length > MAX_CID) {
      throw new ImError(
        "bad_request",
        `the cid of ${userId}'s message (${MAX_CID} characters at most) would be too long`,
      );
    }
    return {
      userId,
      send: checkServerSend(core, { from: input.from, to: userId, body: input.body, cid: itemCid }),
    };
  });
  const outcomes = new Array<BroadcastOutcome>(sends.length);
  let next = 0;
  const worker = async () => {
    while (next < sends.length) {
      const index = next++;
      const { userId, send } = sends[index]!;
      try {
        const { message, created } = await submitServerSend(core, send);
        outcomes[index] = { ok: true, cid: send.cid, message, created, userId };
      } catch (error) {
        outcomes[index] = { ...failed(send.cid, error), userId };
      }
    }
  };
  const workers = Math.max(1, Math.min(core.limits.broadcastConcurrency, sends.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return outcomes;
}
