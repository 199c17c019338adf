/**
 * The relay logic both baselines share: no storage, no auth, no acks. It
 * answers a `send` with `sent` and forwards one `message` per recipient, JSON
 * objects shaped like Lucky IM's frames, so the baselines do the same
 * per-message work a minimal IM relay must do (parse, route, serialize).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";

/** A recipient the relay can push to. */
export interface RelayPeer {
  push(frame: Record<string, unknown>): void;
}

/** A `send` frame's fields (the rest is ignored). */
export interface SendFields {
  cid?: unknown;
  to?: { type?: unknown; id?: unknown };
  body?: unknown;
}

/** Routing state of one relay process. */
export class Relay {
  readonly users = new Map<string, Set<RelayPeer>>();
  readonly groups = new Map<string, string[]>();
  readonly #seqs = new Map<string, number>();
  #nextId = 0;

  join(userId: string, peer: RelayPeer): void {
    let set = this.users.get(userId);
    if (!set) {
      set = new Set();
      this.users.set(userId, set);
    }
    set.add(peer);
  }

  leave(userId: string, peer: RelayPeer): void {
    const set = this.users.get(userId);
    if (!set) return;
    set.delete(peer);
    if (set.size === 0) this.users.delete(userId);
  }

  /** Routes one send; returns the `sent` answer, or an `error` frame. */
  send(from: string, fields: SendFields): Record<string, unknown> {
    const to = fields.to;
    if (typeof fields.cid !== "string" || !to || typeof to.id !== "string") {
      return { type: "error", code: "bad_request", message: "bad send", cid: fields.cid };
    }
    let conversationId: string;
    let recipients: readonly string[];
    if (to.type === "group") {
      conversationId = `g:${to.id}`;
      const members = this.groups.get(to.id);
      if (!members)
        return { type: "error", code: "not_found", message: "no group", cid: fields.cid };
      recipients = members;
    } else {
      conversationId = from < to.id ? `d:${from}:${to.id}` : `d:${to.id}:${from}`;
      recipients = [to.id];
    }
    const seq = (this.#seqs.get(conversationId) ?? 0) + 1;
    this.#seqs.set(conversationId, seq);
    const messageId = `m${++this.#nextId}`;
    const ts = Date.now();
    const message = {
      type: "message",
      messageId,
      conversationId,
      seq,
      from,
      to,
      body: fields.body,
      ts,
      cid: fields.cid,
    };
    for (const userId of recipients) {
      if (userId === from) continue;
      const peers = this.users.get(userId);
      if (peers) for (const peer of peers) peer.push(message);
    }
    return { type: "sent", cid: fields.cid, messageId, conversationId, seq, ts };
  }

  /** `synced` with nothing stored: the baselines keep no history. */
  synced(): Record<string, unknown> {
    return { type: "synced", conversations: [], more: false };
  }
}

/**
 * The tiny HTTP side of a baseline: `GET /metrics` (event-loop lag measured
 * like prom-client's default metrics: monitorEventLoopDelay at 10 ms, reset
 * at every scrape), `GET /healthz` and `POST /groups {name, members}`.
 */
export function createBaselineHttp(relay: Relay): Server {
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  let groupCount = 0;
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === "GET" && req.url === "/metrics") {
      const lines = [
        `nodejs_eventloop_lag_p50_seconds ${lag.percentile(50) / 1e9}`,
        `nodejs_eventloop_lag_p99_seconds ${lag.percentile(99) / 1e9}`,
        `nodejs_eventloop_lag_max_seconds ${lag.max / 1e9}`,
      ];
      lag.reset();
      res.writeHead(200, { "content-type": "text/plain" }).end(`${lines.join("\n")}\n`);
      return;
    }
    if (req.method === "GET" && req.url === "/healthz") {
      res.writeHead(200).end("ok");
      return;
    }
    if (req.method === "POST" && req.url === "/groups") {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { members: string[] };
        const groupId = `bg${++groupCount}`;
        const owner = (req.headers.authorization ?? "").replace(/^Bearer /, "");
        relay.groups.set(groupId, [...new Set([owner, ...body.members].filter(Boolean))]);
        res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ groupId }));
      });
      return;
    }
    res.writeHead(404).end();
  });
}

/** Reads the `user` query parameter of an upgrade URL. */
export function userOf(url: string | undefined): string | undefined {
  return new URL(url ?? "/", "http://x").searchParams.get("user") ?? undefined;
}
