/**
 * @packageDocumentation
 * The test kit of `@lucky-im/push`: conformance suites for device registries,
 * push queues and push providers, and local stand-ins for a Web Push service,
 * FCM HTTP v1 (with its OAuth token endpoint) and APNs (HTTP/2) that check
 * requests as the real services document them. It needs `vitest` (an optional peer
 * dependency) for the suites.
 *
 * @example
 * ```ts
 * import { createMemoryDeviceRegistry } from "@lucky-im/push";
 * import { deviceRegistryConformance } from "@lucky-im/push/testing";
 *
 * deviceRegistryConformance({ name: "memory", create: () => createMemoryDeviceRegistry() });
 * ```
 */

export {
  type ApnsStandIn,
  type ApnsStandInBehaviour,
  type ReceivedApnsPush,
  startApnsStandIn,
} from "./apns-stand-in.js";
export {
  type DeviceRegistryConformanceOptions,
  deviceRegistryConformance,
} from "./device-registry-conformance.js";
export {
  type FcmStandIn,
  type FcmStandInBehaviour,
  type ReceivedFcmMessage,
  startFcmStandIn,
} from "./fcm-stand-in.js";
export {
  type PushProviderConformanceOptions,
  type PushProviderHarness,
  pushProviderConformance,
  SAMPLE_NOTIFICATION,
} from "./push-provider-conformance.js";
export {
  type PushQueueConformanceOptions,
  pushQueueConformance,
} from "./push-queue-conformance.js";
export {
  type ReceivedWebPush,
  type StandInSubscription,
  startWebPushStandIn,
  type WebPushStandIn,
  type WebPushStandInBehaviour,
} from "./web-push-stand-in.js";
