import type { DeviceRegistration } from "./contracts/device-registry.js";
import { PUSH_PLATFORMS } from "./contracts/device-registry.js";

/** Bounds a device registry enforces; each has a default. */
export interface DeviceRegistryLimits {
  /**
   * Devices kept per user; registering one more evicts the oldest.
   * @default 10
   */
  maxDevicesPerUser?: number;
  /**
   * The longest token accepted, in characters (a Web Push subscription's JSON is about 500).
   * @default 4096
   */
  maxTokenLength?: number;
}

/** The defaults of {@link DeviceRegistryLimits}. */
export const DEFAULT_DEVICE_REGISTRY_LIMITS: Required<DeviceRegistryLimits> = {
  maxDevicesPerUser: 10,
  maxTokenLength: 4096,
};

/** The longest device id accepted. */
export const MAX_DEVICE_ID_LENGTH = 128;

/** A registration a registry refuses; `field` names what is wrong. */
export class InvalidRegistrationError extends Error {
  /** The field that is wrong. */
  readonly field: keyof DeviceRegistration;
  /** @param field - the wrong field. @param message - why. */
  constructor(field: keyof DeviceRegistration, message: string) {
    super(message);
    this.name = "InvalidRegistrationError";
    this.field = field;
  }
}

/** @internal Fills in the defaults. */
export function resolveLimits(limits: DeviceRegistryLimits = {}): Required<DeviceRegistryLimits> {
  return { ...DEFAULT_DEVICE_REGISTRY_LIMITS, ...limits };
}

/** @internal Throws {@link InvalidRegistrationError} for a registration out of bounds. */
export function checkRegistration(
  registration: DeviceRegistration,
  limits: Required<DeviceRegistryLimits>,
): void {
  const { userId, deviceId, platform, token } = registration;
  if (typeof userId !== "string" || userId.length === 0) {
    throw new InvalidRegistrationError("userId", "userId must be a non-empty string");
  }
  if (
    typeof deviceId !== "string" ||
    deviceId.length === 0 ||
    deviceId.length > MAX_DEVICE_ID_LENGTH
  ) {
    throw new InvalidRegistrationError(
      "deviceId",
      `deviceId must be 1..${MAX_DEVICE_ID_LENGTH} characters`,
    );
  }
  if (!PUSH_PLATFORMS.includes(platform)) {
    throw new InvalidRegistrationError(
      "platform",
      `platform must be one of ${PUSH_PLATFORMS.join(", ")}`,
    );
  }
  if (typeof token !== "string" || token.length === 0 || token.length > limits.maxTokenLength) {
    throw new InvalidRegistrationError(
      "token",
      `token must be 1..${limits.maxTokenLength} characters`,
    );
  }
}
