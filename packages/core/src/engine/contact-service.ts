import type {
  BlockEntry,
  Contact,
  ContactRequest,
  PeoplePage,
  PrivacyPatch,
  PrivacyPolicy,
} from "../domain/contact.js";
import type { ControlMessage } from "../domain/envelope.js";
import { ImError } from "../errors.js";
import type { ContactFrame } from "../protocol/schemas.js";
import type { ContactOperations, ContactRequestOutcome } from "./contact-operations.js";
import type { EngineCore } from "./engine-core.js";

/**
 * Implements {@link ContactOperations} (`im.contacts`).
 *
 * @internal The engine creates it: use `im.contacts`.
 */
export class ContactService implements ContactOperations {
  /** @param core - the engine's collaborators (storage, caches, delivery) */
  constructor(private readonly core: EngineCore) {}

  private get store() {
    return this.core.storage.contacts;
  }

  async request(fromId: string, toId: string, message = ""): Promise<ContactRequestOutcome> {
    if (!fromId || !toId) throw new ImError("bad_request", "both user ids are required");
    if (fromId === toId) throw new ImError("bad_request", "you cannot ask yourself");
    await this.core.unsolicited.checkContactRequest(fromId);
    const result = await this.store.sendRequest({ fromId, toId, message, now: Date.now() });
    if (result.outcome === "blocked") {
      throw new ImError("forbidden", "this user does not accept your requests");
    }
    if (result.outcome === "accepted") {
      await this.relationChanged(fromId, toId);
      await this.tell([fromId, toId], {
        type: "contact",
        event: "accepted",
        by: fromId,
        userId: toId,
      });
    } else {
      await this.tell([fromId, toId], {
        type: "contact",
        event: "requested",
        by: fromId,
        userId: toId,
        message: result.request.message,
      });
    }
    return { outcome: result.outcome, request: result.request };
  }

  async accept(userId: string, fromId: string): Promise<ContactRequest> {
    const request = await this.store.acceptRequest(userId, fromId, Date.now());
    await this.relationChanged(userId, fromId);
    await this.tell([userId, fromId], {
      type: "contact",
      event: "accepted",
      by: userId,
      userId: fromId,
    });
    return request;
  }

  async decline(userId: string, fromId: string): Promise<ContactRequest> {
    const request = await this.store.declineRequest(userId, fromId, Date.now());
    await this.tell([userId, fromId], {
      type: "contact",
      event: "declined",
      by: userId,
      userId: fromId,
    });
    return request;
  }

  async cancel(userId: string, toId: string): Promise<ContactRequest> {
    const request = await this.store.cancelRequest(userId, toId, Date.now());
    await this.tell([userId, toId], {
      type: "contact",
      event: "cancelled",
      by: userId,
      userId: toId,
    });
    return request;
  }

  async remove(userId: string, contactId: string): Promise<boolean> {
    const removed = await this.store.removeContact(userId, contactId);
    if (removed) {
      await this.relationChanged(userId, contactId);
      await this.tell([userId, contactId], {
        type: "contact",
        event: "removed",
        by: userId,
        userId: contactId,
      });
    }
    return removed;
  }

  async setRemark(userId: string, contactId: string, remark: string | null): Promise<void> {
    await this.store.setRemark(userId, contactId, remark);
    // A remark is private: only the user's own devices hear of it.
    await this.tell([userId], { type: "contact", event: "remark", by: userId, userId: contactId });
  }

  contact(userId: string, contactId: string): Promise<Contact | undefined> {
    return this.store.contact(userId, contactId);
  }

  list(userId: string, page?: PeoplePage): Promise<Contact[]> {
    return this.store.contacts(userId, page);
  }

  requests(
    userId: string,
    direction: "incoming" | "outgoing",
    page: PeoplePage = {},
  ): Promise<ContactRequest[]> {
    return this.store.requests(userId, direction, { ...page, now: Date.now() });
  }

  async block(userId: string, otherId: string): Promise<boolean> {
    const added = await this.store.block(userId, otherId, Date.now());
    if (added) {
      await this.relationChanged(userId, otherId);
      // Only the blocker's devices: a block is not revealed to the blocked user.
      await this.tell([userId], { type: "contact", event: "blocked", by: userId, userId: otherId });
    }
    return added;
  }

  async unblock(userId: string, otherId: string): Promise<boolean> {
    const lifted = await this.store.unblock(userId, otherId);
    if (lifted) {
      await this.relationChanged(userId, otherId);
      await this.tell([userId], {
        type: "contact",
        event: "unblocked",
        by: userId,
        userId: otherId,
      });
    }
    return lifted;
  }

  blocks(userId: string, page?: PeoplePage): Promise<BlockEntry[]> {
    return this.store.blocks(userId, page);
  }

  privacy(userId: string): Promise<PrivacyPolicy> {
    return this.store.privacy(userId);
  }

  async setPrivacy(userId: string, patch: PrivacyPatch): Promise<PrivacyPolicy> {
    const policy = await this.store.setPrivacy(userId, patch);
    this.core.relations.invalidatePrivacy(userId);
    await this.broadcast({ type: "privacy_changed", userId });
    await this.tell([userId], { type: "contact", event: "privacy", by: userId });
    return policy;
  }

  /** Drops the pair's cached relation here and, through the broker, on every other node. */
  private async relationChanged(a: string, b: string): Promise<void> {
    this.core.relations.invalidatePair(a, b);
    await this.broadcast({ type: "relation_changed", userIds: [a, b] });
  }

  private async broadcast(message: ControlMessage): Promise<void> {
    try {
      await this.core.broker.broadcast(message);
    } catch (error) {
      // The other nodes' caches then lapse within `relationCacheMs`.
      this.core.errors.report(error, "broadcasting a contact change");
    }
  }

  private async tell(userIds: string[], frame: ContactFrame): Promise<void> {
    await this.core.delivery.deliverFrame([...new Set(userIds)], frame);
  }
}
