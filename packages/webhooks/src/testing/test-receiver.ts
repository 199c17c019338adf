import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { WebhookEvent } from "../webhook-event.js";
import { verifyWebhookSignature } from "../webhook-signature.js";

/** One request a {@link WebhookTestReceiver} took. */
export interface ReceivedWebhook {
  /** The `webhook-id` header. */
  id: string;
  /** The parsed body. */
  event: WebhookEvent;
  /** Whether the signature verified with the receiver's secret. */
  verified: boolean;
}

/** A local HTTP receiver for tests: verifies, records, and can be stopped and restarted on its port. */
export interface WebhookTestReceiver {
  /** Its URL (the same after a restart). */
  readonly url: string;
  /** Every request answered 2xx, in arrival order (duplicates included). */
  readonly received: ReceivedWebhook[];
  /** Sets the status the next requests get (default 200); non-2xx ones are not recorded. */
  respondWith(status: number): void;
  /** Closes the server and every open connection (a receiver that dies). */
  kill(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
}

/**
 * Starts a {@link WebhookTestReceiver} on 127.0.0.1 (a free port, or `port`).
 */
export async function startWebhookTestReceiver(
  secret: string,
  port = 0,
): Promise<WebhookTestReceiver> {
  const received: ReceivedWebhook[] = [];
  let status = 200;
  let server: Server;
  let boundPort = port;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          const check = verifyWebhookSignature({ body, headers: req.headers, secret });
          if (status >= 200 && status < 300) {
            received.push({
              id: String(req.headers["webhook-id"]),
              event: JSON.parse(body) as WebhookEvent,
              verified: check.ok,
            });
          }
          res.writeHead(status).end();
        });
      });
      server.once("error", reject);
      server.listen(boundPort, "127.0.0.1", () => {
        boundPort = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen();

  return {
    get url() {
      return `http://127.0.0.1:${boundPort}/hooks`;
    },
    received,
    respondWith(next) {
      status = next;
    },
    kill() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    restart: listen,
  };
}
