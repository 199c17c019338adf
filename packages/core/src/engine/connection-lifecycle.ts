import {
  CAPABILITY_ACK_BATCH,
  CAPABILITY_RECEIPT_BATCH,
  CAPABILITY_SENT_BATCH,
  SYSTEM_SENDER_ID,
} from "@lucky-im/protocol";
import type { Authenticator } from "../contracts/authenticator.js";
import type { RateLimiter } from "../contracts/rate-limiter.js";
import type {
  ConnectionHandler,
  TransportConnection,
  TransportListener,
} from "../contracts/transport.js";
import type { Principal } from "../domain/session.js";
import { ImError, isImError } from "../errors.js";
import { CloseCode } from "../protocol/close-codes.js";
import { decodeClientFrame } from "../protocol/codec.js";
import type { JsonLimits } from "../protocol/json-limits.js";
import type { AuthFrame, ReadyFrame } from "../protocol/schemas.js";
import type { EngineCore } from "./engine-core.js";
import { frameCost } from "./frame-cost.js";
import { dispatchFrame } from "./frame-handlers.js";
import type { PresenceAnnouncer } from "./presence-events.js";
import { Session } from "./session.js";
import type { SuspensionCache } from "./suspension-cache.js";

/** What a user id may look like (the `sub` of a token): it becomes part of conversation ids. */
const USER_ID = /^[^\s:]{1,128}$/;

/** Longest delay `setTimeout` accepts. */
const MAX_TIMER_MS = 2_147_483_647;

/** What {@link ConnectionLifecycle} works with besides the engine core. */
export interface ConnectionLifecycleDeps {
  /** Whether a user is suspended (new sessions of a suspended user are refused with 4403). */
  suspensions: Pick<SuspensionCache, "get">;
  /** Checks tokens (first `auth`, renewals, and the transport's upgrade-time check). */
  authenticator: Authenticator;
  /** The host's limiter; undefined: the engine counts frames itself, synchronously. */
  rateLimiter: RateLimiter | undefined;
  /** Limit per user (`rateLimitScope: "user"`) rather than per connection. */
  rateLimitByUser: boolean;
  /** Depth and size limits of inbound JSON. */
  jsonLimits: JsonLimits;
  /** Told when a user's first session here opens and its last one closes. */
  presenceEvents: PresenceAnnouncer;
}

/**
 * The connection lifecycle: opens a session per transport connection, authenticates it
 * (first `auth`, renewals, expiry warnings and expiry), applies the frame limits
 * (frames before ready, rate limit and strikes, JSON limits), hands each decoded frame
 * of a ready session to the frame dispatch, and cleans up on close.
 */
export class ConnectionLifecycle {
  /** Every open connection's session, authenticated or not. */
  private readonly connections = new Set<Session>();
  /** False before start and once closing: new connections are closed with 1001. */
  private accepting = false;

  /**
   * @param core - the engine's collaborators
   * @param deps - authentication and limits (see {@link ConnectionLifecycleDeps})
   */
  constructor(
    private readonly core: EngineCore,
    private readonly deps: ConnectionLifecycleDeps,
  ) {}

  /** Open connections, authenticated or not. */
  get size(): number {
    return this.connections.size;
  }

  /** Accepts new connections from now on (the node is starting). */
  startAccepting(): void {
    this.accepting = true;
  }

  /** Closes each new connection at once with 1001 from now on (the node is closing). */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** What the transport calls: the upgrade-time token check and each new connection. */
  listener(): TransportListener {
    return {
      authenticate: (token) => this.authenticate(token),
      open: (connection) => this.open(connection),
    };
  }

  /** Asks the authenticator; anything but `unauthorized`/`unavailable` becomes `unauthorized`. */
  private async authenticate(token: string): Promise<Principal> {
    try {
      return await this.deps.authenticator.authenticate(token);
    } catch (error) {
      // `unavailable` (a JWKS or token store down) is not the client's fault: it must
      // not be told to throw its token away.
      if (isImError(error) && (error.code === "unauthorized" || error.code === "unavailable"))
        throw error;
      throw new ImError("unauthorized", "invalid token", { cause: error });
    }
  }

  /** A new connection: a session, then the auth timeout (or at once the upgrade's principal). */
  private open(connection: TransportConnection): ConnectionHandler {
    const session = new Session(connection);
    this.connections.add(session);
    if (!this.accepting) {
      connection.close(CloseCode.goingAway, "server closing");
    } else if (connection.info.principal) {
      session.state = "authenticating";
      void this.completeAuth(session, connection.info.principal, undefined);
    } else {
      session.authTimer = setTimeout(() => {
        if (session.state === "connecting" || session.state === "authenticating") {
          connection.close(CloseCode.authTimeout, "authentication timeout");
        }
      }, this.core.limits.authTimeoutMs);
      session.authTimer.unref?.();
    }
    return {
      onFrame: (data) => this.onFrame(session, data),
      onClose: (code) => this.onClose(session, code),
    };
  }

  /** One inbound frame, by session state: queued while authenticating, `auth` first, then rate-checked. */
  private onFrame(session: Session, data: string): void {
    this.core.stats.framesIn++;
    switch (session.state) {
      case "closed":
        return;
      case "authenticating":
        if (session.queuedFrames.length >= this.core.limits.maxFramesBeforeReady) {
          session.close(CloseCode.policyViolation, "too many frames before ready");
        } else {
          session.queuedFrames.push(data);
        }
        return;
      case "connecting": {
        const decoded = decodeClientFrame(data, this.deps.jsonLimits);
        if (!decoded.ok || decoded.frame.type !== "auth") {
          session.close(CloseCode.unauthorized, "authenticate first");
          return;
        }
        void this.onAuthFrame(session, decoded.frame);
        return;
      }
      case "ready":
        if (!this.deps.rateLimiter) {
          // Synchronous: frames are handled in the order they came without a chain.
          try {
            const decoded = decodeClientFrame(data, this.deps.jsonLimits);
            const allowed = this.countFrame(
              session,
              frameCost(decoded.ok ? decoded.frame : undefined),
            );
            this.handleFrame(session, decoded, data.length, allowed);
          } catch (error) {
            // A throwing event listener must not reach the transport (the chain swallowed it).
            this.core.errors.report(error, "handling a frame");
          }
          return;
        }
        this.limitThenHandle(session, data);
    }
  }

  /**
   * The engine's own limiter: a fixed window per session, starting at its first frame. A frame
   * is let through while the window's budget is not spent, and charged its whole `cost`.
   */
  private countFrame(session: Session, cost: number): boolean {
    const now = Date.now();
    const { framesPerWindow, rateWindowMs } = this.core.limits;
    if (session.rateWindowCount === 0 || now - session.rateWindowStart >= rateWindowMs) {
      session.rateWindowStart = now;
      session.rateWindowCount = 0;
    }
    const allowed = session.rateWindowCount < framesPerWindow;
    session.rateWindowCount += cost;
    return allowed;
  }

  /**
   * Asks the host's limiter at once, then handles the frame in the session's frame chain. The
   * question is not chained: a limiter that batches (a Redis call per window) then answers a
   * session's burst together instead of one window per frame. At most `framesPerWindow`
   * questions of a session are open at once (a flood past one window's budget is refused
   * anyway); later frames ask in the chain, one after another. The handling is chained, so
   * frames are handled in the order they came however the answers interleave.
   */
  private limitThenHandle(session: Session, data: string): void {
    const decoded = decodeClientFrame(data, this.deps.jsonLimits);
    const frameLength = data.length;
    const askNow = session.limiterAsks < this.core.limits.framesPerWindow;
    const verdict = askNow ? this.askLimiter(session, decoded) : undefined;
    session.frameChain = session.frameChain.then(async () => {
      const allowed = await (verdict ?? this.askLimiter(session, decoded));
      try {
        this.handleFrame(session, decoded, frameLength, allowed);
      } catch (error) {
        // As on the synchronous path: a throwing listener must not stop the session's chain.
        this.core.errors.report(error, "handling a frame");
      }
    });
  }

  /** The host limiter's verdict on a frame; true when the limiter fails (reported). */
  private async askLimiter(
    session: Session,
    decoded: ReturnType<typeof decodeClientFrame>,
  ): Promise<boolean> {
    session.limiterAsks++;
    try {
      const key = this.deps.rateLimitByUser ? `user:${session.userId}` : `conn:${session.id}`;
      const cost = frameCost(decoded.ok ? decoded.frame : undefined);
      return (await this.deps.rateLimiter!.consume(key, cost)).allowed;
    } catch (error) {
      // A limiter outage must not stop the chat: let the frame through and say so.
      this.core.errors.report(error, "rate limiter");
      return true;
    } finally {
      session.limiterAsks--;
    }
  }

  /** Refuses a limited frame (closing after too many strikes), decodes, and dispatches. */
  private handleFrame(
    session: Session,
    decoded: ReturnType<typeof decodeClientFrame>,
    frameLength: number,
    allowed: boolean,
  ): void {
    if (session.isClosed) return;
    const { core } = this;
    if (!allowed) {
      core.stats.rateLimited++;
      session.rateLimitStrikes++;
      if (session.rateLimitStrikes >= core.limits.maxRateLimitStrikes) {
        if (this.deps.rateLimiter) {
          session.close(CloseCode.rateLimited, "rate limited");
        } else if (!session.rateLimitClosing) {
          // Frames are handled synchronously here: a burst reaches this point before the
          // sends it let through were answered. Close once those answers went out, as
          // when every frame waited for the limiter.
          session.rateLimitClosing = true;
          setImmediate(() => session.close(CloseCode.rateLimited, "rate limited"));
        }
        return;
      }
      const cid = decoded.ok ? (decoded.frame as { cid?: string }).cid : decoded.cid;
      core.replies.error(session, new ImError("rate_limited", "too many frames; slow down"), cid);
      return;
    }
    session.rateLimitStrikes = 0;
    if (!decoded.ok) {
      core.replies.error(session, decoded.error, decoded.cid);
      return;
    }
    if (decoded.frame.type === "auth") {
      void this.onAuthFrame(session, decoded.frame);
      return;
    }
    dispatchFrame(core, session, decoded.frame, frameLength);
  }

  /** First `auth`, or a fresh token on an open connection (answered with `ready` again). */
  private async onAuthFrame(session: Session, frame: AuthFrame): Promise<void> {
    const renewing = session.state === "ready";
    if (!renewing) session.state = "authenticating";
    let principal: Principal;
    try {
      principal = await this.authenticate(frame.token);
    } catch (error) {
      const unavailable = isImError(error) && error.code === "unavailable";
      if (renewing && unavailable) {
        // The current token is still valid: keep serving until it expires.
        this.core.replies.error(session, error);
      } else if (unavailable) {
        session.close(CloseCode.tryAgainLater, "authentication unavailable; retry later");
      } else {
        session.close(CloseCode.unauthorized, "invalid token");
      }
      return;
    }
    if (renewing) {
      if (principal.userId !== session.userId) {
        session.close(CloseCode.unauthorized, "a renewed token must be for the same user");
        return;
      }
      session.principal = principal;
      this.scheduleExpiry(session);
      this.sendReady(session);
      return;
    }
    if (frame.capabilities) this.acceptCapabilities(session, frame.capabilities);
    await this.completeAuth(session, principal, frame.device);
  }

  /**
   * Keeps the announced capabilities this node accepts (docs/protocol.md §1.8), once per
   * connection: a renewal's `auth` does not change them. Unknown ones are ignored.
   */
  private acceptCapabilities(session: Session, announced: readonly string[]): void {
    const accepted: string[] = [];
    if (announced.includes(CAPABILITY_RECEIPT_BATCH) && this.core.delivery.batchesReceipts) {
      accepted.push(CAPABILITY_RECEIPT_BATCH);
      session.batchesReceipts = true;
    }
    if (announced.includes(CAPABILITY_ACK_BATCH)) accepted.push(CAPABILITY_ACK_BATCH);
    // Held answers ride the receipts batch, so `sent-batch` needs `receipt-batch`.
    if (
      announced.includes(CAPABILITY_SENT_BATCH) &&
      session.batchesReceipts &&
      this.core.delivery.holdsSent
    ) {
      accepted.push(CAPABILITY_SENT_BATCH);
      session.batchesSent = true;
    }
    session.capabilities = accepted;
  }

  /** Registers an authenticated session, answers `ready`, then replays the frames queued meanwhile. */
  private async completeAuth(
    session: Session,
    principal: Principal,
    device: AuthFrame["device"],
  ): Promise<void> {
    if (session.state === "closed") return;
    const { core } = this;
    // The system sender (docs/protocol.md §14) is reserved for the application's own sends.
    if (!USER_ID.test(principal.userId) || principal.userId === SYSTEM_SENDER_ID) {
      session.close(CloseCode.unauthorized, "the token's subject is not a valid user id");
      return;
    }
    if (principal.expiresAt !== undefined && principal.expiresAt <= Date.now()) {
      session.close(CloseCode.unauthorized, "token expired");
      return;
    }
    if (await this.isSuspended(principal.userId)) {
      session.close(CloseCode.suspended, "suspended");
      return;
    }
    if (session.isClosed) return;
    const { info: connectionInfo } = session.connection;
    session.principal = principal;
    const deviceId = principal.deviceId ?? device?.id ?? connectionInfo.deviceId;
    const deviceClass = principal.deviceClass ?? device?.class ?? connectionInfo.deviceClass;
    session.info = {
      sessionId: session.id,
      userId: principal.userId,
      nodeId: core.nodeId,
      connectedAt: Date.now(),
      ...(deviceId === undefined ? {} : { deviceId }),
      ...(deviceClass === undefined ? {} : { deviceClass }),
    };
    if (core.multiDevice === "one-per-device-class") await this.replaceOlderSessions(session);
    if (session.isClosed) return;
    const here = core.registry.ofUser(principal.userId)?.size ?? 0;
    if (here >= core.limits.maxSessionsPerUser) {
      session.close(CloseCode.policyViolation, "too many sessions for this user");
      return;
    }
    const firstHere = here === 0;
    core.registry.add(session);
    session.state = "ready";
    clearTimeout(session.authTimer);
    try {
      await core.presence.register(session.info);
    } catch (error) {
      core.errors.report(error, "presence register");
    }
    if (session.isClosed) return;
    this.sendReady(session);
    this.scheduleExpiry(session);
    core.events.emit("connection", session.info);
    if (firstHere) void this.deps.presenceEvents.changed(principal.userId, true);
    const queued = session.queuedFrames.splice(0);
    for (const data of queued) this.onFrame(session, data);
  }

  /** Whether the user is suspended; a store failure lets the user in (and is reported). */
  private async isSuspended(userId: string): Promise<boolean> {
    try {
      return (await this.deps.suspensions.get(userId)) !== undefined;
    } catch (error) {
      this.core.errors.report(error, "reading a suspension");
      return false;
    }
  }

  /** Answers `ready` (after the first `auth`, and after each renewal). */
  private sendReady(session: Session): void {
    const ready: ReadyFrame = {
      type: "ready",
      userId: session.userId!,
      sessionId: session.id,
      nodeId: this.core.nodeId,
      heartbeatMs: this.core.heartbeatMs,
      serverTime: Date.now(),
    };
    // Only for a client that announced capabilities: a v1 client's `ready` stays as it was.
    const { capabilities } = session;
    if (capabilities) {
      ready.capabilities = [...capabilities];
      if (capabilities.includes(CAPABILITY_ACK_BATCH)) {
        ready.maxAcksPerFrame = this.core.limits.maxAcksPerFrame;
      }
    }
    this.core.replies.send(session, ready);
  }

  /** One session per device class: close the older ones here and on other nodes (4409). */
  private async replaceOlderSessions(session: Session): Promise<void> {
    const { core } = this;
    const info = session.info!;
    const deviceClass = info.deviceClass ?? "default";
    const sameClass = (other: { deviceClass?: string }) =>
      (other.deviceClass ?? "default") === deviceClass;
    for (const other of [...(core.registry.ofUser(info.userId) ?? [])]) {
      if (other !== session && other.info && sameClass(other.info)) {
        other.close(CloseCode.sessionReplaced, "session replaced");
      }
    }
    try {
      const sessions = await core.presence.sessionsOf([info.userId]);
      await Promise.all(
        sessions
          .filter((s) => s.nodeId !== core.nodeId && sameClass(s))
          .map((s) =>
            core.broker.publish(s.nodeId, {
              kind: "kick",
              userId: s.userId,
              sessionId: s.sessionId,
              code: CloseCode.sessionReplaced,
              reason: "session replaced",
            }),
          ),
      );
    } catch (error) {
      core.errors.report(error, "replacing an older session on another node");
    }
  }

  /** Warns with `auth_expiring` before the token expires, and closes (4401) when it does. */
  private scheduleExpiry(session: Session): void {
    clearTimeout(session.expiringTimer);
    clearTimeout(session.expiryTimer);
    const expiresAt = session.principal?.expiresAt;
    if (expiresAt === undefined) return;
    const untilExpiry = expiresAt - Date.now();
    if (untilExpiry > MAX_TIMER_MS) return;
    const untilWarning = untilExpiry - this.core.limits.authExpiringLeadMs;
    session.expiringTimer = setTimeout(
      () => this.core.replies.send(session, { type: "auth_expiring", expiresAt }),
      Math.max(0, untilWarning),
    );
    session.expiringTimer.unref?.();
    session.expiryTimer = setTimeout(
      () => session.close(CloseCode.unauthorized, "token expired"),
      Math.max(0, untilExpiry),
    );
    session.expiryTimer.unref?.();
  }

  /** The connection closed: unregister, forget its pushes, tell presence and the host. */
  private onClose(session: Session, code: number): void {
    if (session.state === "closed") return;
    session.state = "closed";
    session.clearTimers();
    this.connections.delete(session);
    const { core } = this;
    const info = session.info;
    if (!info || core.registry.get(session.id) !== session) return;
    const lastHere = core.registry.remove(session);
    core.delivery.forget(session);
    core.presenceSubscriptions.drop(session);
    const unregistered = core.presence
      .unregister(info)
      .catch((error: unknown) => core.errors.report(error, "presence unregister"));
    core.events.emit("disconnection", info, code);
    // After the unregister: the offline check asks presence whether a session is left.
    if (lastHere)
      void unregistered.then(() => this.deps.presenceEvents.changed(info.userId, false));
  }
}
