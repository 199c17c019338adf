import { contactStoreSuite } from "./contact-store-conformance.js";
import { conversationSettingsSuite } from "./conversation-settings-conformance.js";
import { cursorStoreSuite } from "./cursor-store-conformance.js";
import { domainEventSuite } from "./domain-event-conformance.js";
import { groupJoinSuite } from "./group-join-conformance.js";
import { groupStoreSuite } from "./group-store-conformance.js";
import { messageChangeSuite } from "./message-change-conformance.js";
import { messageStoreSuite } from "./message-store-conformance.js";
import { moderationStoreSuite } from "./moderation-store-conformance.js";
import { outboxStoreSuite } from "./outbox-store-conformance.js";
import { profileStoreSuite } from "./profile-store-conformance.js";
import { storageLifecycleSuite } from "./storage-lifecycle-conformance.js";
import { runStorageSuites, type StorageSuite, type StorageSuiteOptions } from "./storage-suite.js";

/**
 * The suites `storageConformance` runs, in order: one per contract of
 * `Storage`, each in its own file. A new storage contract adds its
 * suite here (before the lifecycle suite), and every adapter runs it.
 *
 * The outbox suite runs before the message change suite, which writes and
 * claims `change` entries that the outbox suite does not expect.
 */
export const storageSuites: readonly StorageSuite[] = [
  messageStoreSuite,
  outboxStoreSuite,
  cursorStoreSuite,
  groupStoreSuite,
  groupJoinSuite,
  contactStoreSuite,
  profileStoreSuite,
  conversationSettingsSuite,
  moderationStoreSuite,
  messageChangeSuite,
  domainEventSuite,
  storageLifecycleSuite,
];

/**
 * The conformance suite of the `Storage` contracts (`MessageStore`,
 * `OutboxStore`, `CursorStore`, `GroupStore`, `GroupJoinStore`,
 * `ContactStore`, `ProfileStore`, `ConversationSettingsStore`,
 * `ModerationStore`, `MessageChangeStore`, and the lifecycle): every suite of
 * {@link storageSuites}, sharing one set of instances. Every storage
 * adapter runs it against its real backend; each contract's suite also runs
 * alone (for example `messageStoreConformance`).
 *
 * `create` is called several times (two instances must share data, as two
 * nodes share one database); every test uses ids with a random suffix, so a
 * backend that holds other data is fine. The outbox tests assume nothing
 * else claims or purges this backend's outbox while the suite runs; they
 * release entries with `markFailed(ids, past)` so that the adapter's outbox
 * grace does not matter. The people suites expect the default `PeopleLimits`.
 *
 * Optional parts skip visibly: an adapter without `cursors.markMany`
 * declares `lacks: ["markMany"]`; a setup without `createWithLimits`
 * declares `lacks: ["messageChangeLimits"]`. An optional part that is
 * absent but not declared fails its tests.
 *
 * @example
 * ```ts
 * storageConformance({
 *   name: "postgres",
 *   // `createPostgresStore` from `@lucky-im/store-postgres`; each call opens its own pool.
 *   create: () => createPostgresStore({ connectionString, schema }),
 *   // The same backend with other message change limits (for the caps' tests).
 *   createWithLimits: (messageChanges) =>
 *     createPostgresStore({ connectionString, schema, messageChanges }),
 *   destroy: (storage) => storage.close(),
 *   // The adapter's own cases, with the same instances and lifecycle.
 *   additionalTests: (context) => {
 *     it("keeps a message across instances", async () => { ... context.storage ... });
 *   },
 * });
 * ```
 */
export function storageConformance(options: StorageSuiteOptions): void {
  runStorageSuites(`${options.name} storage conformance`, storageSuites, options);
}
