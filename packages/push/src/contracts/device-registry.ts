/**
 * The push platforms: `web` (a Web Push subscription, as JSON), `fcm` (a
 * Firebase Cloud Messaging registration token), `apns` (an APNs device token).
 */
export type PushPlatform = "web" | "fcm" | "apns";

/** Every {@link PushPlatform}, for validation. */
export const PUSH_PLATFORMS: readonly PushPlatform[] = ["web", "fcm", "apns"];

/** A registration: a device of a user with its push token. */
export interface DeviceRegistration {
  /** The user the device belongs to. */
  userId: string;
  /** The device's id, chosen by the client; unique per user (1..128 characters). */
  deviceId: string;
  /** The push service the token belongs to. */
  platform: PushPlatform;
  /** The push token: a Web Push subscription's JSON, an FCM or APNs token. */
  token: string;
}

/** A registered device. */
export interface PushDevice extends DeviceRegistration {
  /** When it was (last) registered, in ms since the epoch. */
  registeredAt: number;
}

/**
 * Where the push tokens of users' devices are kept. A token belongs to one
 * device: registering it again (for the same or another user) moves it, so a
 * phone that changes hands stops receiving the previous user's pushes.
 * Implementations bound the devices per user: registering one more evicts the
 * user's oldest.
 */
export interface DeviceRegistry {
  /** Registers (or re-registers) a device; resolves with the stored device. */
  register(registration: DeviceRegistration): Promise<PushDevice>;
  /** Removes one device of a user; false when the user has no such device. */
  unregister(userId: string, deviceId: string): Promise<boolean>;
  /** Removes every device of a user (on logout of all sessions); resolves with how many. */
  unregisterUser(userId: string): Promise<number>;
  /** The user's devices, oldest registration first. */
  listByUser(userId: string): Promise<PushDevice[]>;
  /** Drops a token a provider reported invalid; resolves with how many devices had it. */
  dropToken(platform: PushPlatform, token: string): Promise<number>;
}
