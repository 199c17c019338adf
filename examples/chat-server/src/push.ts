import { readFileSync } from "node:fs";
import type { Message } from "@lucky-im/core";
import {
  createFcmProvider,
  createPushNotifier,
  createWebPushProvider,
  type DeviceRegistry,
  type PushMetricsListener,
  type PushNotifier,
  type PushProvider,
  type PushQueue,
  parseFcmServiceAccount,
} from "@lucky-im/push";
import type { Logger } from "pino";
import type { ChatServerConfig } from "./config.js";

/** Push notifications of the server: what is on, and the notifier the engine feeds. */
export interface ChatPush {
  /** The providers configured, by platform. */
  readonly platforms: ReadonlySet<string>;
  /** The VAPID public key browsers subscribe with (Web Push on). */
  readonly vapidPublicKey?: string;
  /** The notifier (absent: no provider configured, push off). */
  readonly notifier?: PushNotifier;
  /** Where device tokens live. */
  readonly registry: DeviceRegistry;
}

/**
 * Builds the providers the configuration turns on (Web Push with the three VAPID
 * settings, FCM with a service-account file) and, if any, the notifier on
 * `queue` (durable with a database store; else the notifier's memory queue).
 */
export function createChatPush(
  config: ChatServerConfig,
  registry: DeviceRegistry,
  log: Logger,
  metrics: PushMetricsListener,
  isMuted: (userId: string, conversationId: string) => Promise<boolean>,
  queue?: PushQueue,
  getMessage?: (messageId: string) => Promise<Message | undefined>,
): ChatPush {
  const providers: PushProvider[] = [];
  const { vapidPublicKey, vapidPrivateKey, vapidSubject } = config;
  if (vapidPublicKey && vapidPrivateKey && vapidSubject) {
    providers.push(
      createWebPushProvider({
        vapid: { publicKey: vapidPublicKey, privateKey: vapidPrivateKey, subject: vapidSubject },
        allowInsecureEndpoints: config.pushAllowHttpEndpoints,
      }),
    );
  }
  if (config.fcmServiceAccountFile) {
    providers.push(
      createFcmProvider({
        serviceAccount: parseFcmServiceAccount(readFileSync(config.fcmServiceAccountFile, "utf8")),
        tokenUrl: config.fcmTokenUrl,
        apiUrl: config.fcmApiUrl,
      }),
    );
  }
  const platforms = new Set(providers.map((p) => p.platform));
  if (providers.length === 0) {
    log.info(
      "push notifications are off: set the LUCKY_IM_VAPID_* settings or LUCKY_IM_FCM_SERVICE_ACCOUNT_FILE",
    );
    return { platforms, registry };
  }
  const notifier = createPushNotifier({
    registry,
    providers,
    content: config.pushContent,
    isMuted,
    batchWindowMs: config.pushBatchWindowMs,
    maxQueued: config.pushMaxQueued,
    // In the store's database (PostgreSQL, SQLite): pending pushes survive a restart.
    ...(queue ? { queue } : {}),
    ...(getMessage ? { getMessage } : {}),
    metrics,
    onError: (error, context) => log.warn({ err: error }, context),
  });
  log.info({ platforms: [...platforms] }, "push notifications are on");
  return {
    platforms,
    notifier,
    registry,
    ...(platforms.has("web") ? { vapidPublicKey } : {}),
  };
}
