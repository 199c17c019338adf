import { type Static, Type } from "@sinclair/typebox";

/** The longest push token accepted (a Web Push subscription's JSON is about 500 characters). */
export const MAX_PUSH_TOKEN_LENGTH = 4096;

/**
 * A push device id: up to 100 URL-safe characters, so that it fits the
 * `DELETE /push/devices/:deviceId` path (Fastify answers 414 to longer path parameters).
 */
const PushDeviceId = Type.String({ pattern: "^[A-Za-z0-9._:-]{1,100}$" });

export const PushDeviceBody = Type.Object({
  deviceId: PushDeviceId,
  platform: Type.Union([Type.Literal("web"), Type.Literal("fcm")]),
  token: Type.String({ minLength: 1, maxLength: MAX_PUSH_TOKEN_LENGTH }),
});
export type PushDeviceBody = Static<typeof PushDeviceBody>;

export const PushDeviceParams = Type.Object({ deviceId: PushDeviceId });
export type PushDeviceParams = Static<typeof PushDeviceParams>;
