import { afterAll, beforeAll, describe, it } from "vitest";
import type { Storage } from "../contracts/storage.js";
import type { Cursor } from "../domain/cursor.js";
import type { AppendResult, Message, MessageDraft } from "../domain/message.js";
import type { MessageChangeLimits } from "../domain/message-change.js";
import type { SuiteOptions } from "./suite-options.js";

/**
 * Something optional that an adapter (or its test setup) may lack. The
 * suites test it only when the adapter has it, and say so:
 * - `markMany`: the optional `CursorStore.markMany`;
 * - `messageChangeLimits`: {@link StorageSuiteOptions.createWithLimits}, an
 *   instance with other message change limits (the caps' tests need it).
 */
export type StorageCapability = "markMany" | "messageChangeLimits";

/** How each {@link StorageCapability} is found on an instance or in the options. */
const HAS_CAPABILITY: Record<
  StorageCapability,
  (storage: Storage, options: StorageSuiteOptions) => boolean
> = {
  markMany: (storage) => typeof storage.cursors.markMany === "function",
  messageChangeLimits: (_storage, options) => typeof options.createWithLimits === "function",
};

/** Options of `storageConformance` and of each storage contract's own suite. */
export interface StorageSuiteOptions extends SuiteOptions<Storage> {
  /**
   * Optional methods the adapter does not implement. Their tests show as
   * skipped, with the reason; an optional method that is absent but not
   * listed here fails its test, so nothing is skipped without a word.
   * @default []
   */
  lacks?: readonly StorageCapability[];
  /**
   * A new instance with these message change limits, over the same backend
   * as `create`: the message change suite checks the caps with it without
   * writing hundreds of rows. Without it, declare
   * `lacks: ["messageChangeLimits"]` and those tests show as skipped.
   */
  createWithLimits?: (limits: Partial<MessageChangeLimits>) => Promise<Storage>;
  /**
   * Registers the adapter's own tests inside the same `describe`, with the
   * same instances and lifecycle as the kit's (`context.storage` is ready in
   * `it` bodies and hooks, not while registering).
   */
  additionalTests?: (context: StorageSuiteContext) => void;
}

/** What a storage suite's tests work with. */
export interface StorageSuiteContext {
  /** The options the suite was called with. */
  readonly options: StorageSuiteOptions;
  /** The suite's first instance: read it inside `it` bodies and hooks (it is set in `beforeAll`). */
  readonly storage: Storage;
  /** Another instance on the same backend (another node); the suite destroys it at the end. */
  open(): Promise<Storage>;
  /**
   * Another instance with these message change limits, through
   * {@link StorageSuiteOptions.createWithLimits} (only inside a test
   * registered with `itWith("messageChangeLimits", ...)`); destroyed at the end.
   */
  openWithLimits(limits: Partial<MessageChangeLimits>): Promise<Storage>;
  /** Appends a draft through `on` (default: {@link StorageSuiteContext.storage}). */
  append(draft: MessageDraft, on?: Storage): Promise<AppendResult>;
  /** Every message of a conversation, read by ascending pages. */
  allMessages(conversationId: string, pageSize?: number): Promise<Message[]>;
  /** The user's cursor in one conversation, if they are in it. */
  cursorOf(userId: string, conversationId: string): Promise<Cursor | undefined>;
  /**
   * Registers a test of an optional method: skipped, with the reason in its
   * title, when the adapter {@link StorageSuiteOptions.lacks | lacks} it; failing
   * when the method is absent but not declared missing.
   */
  itWith(capability: StorageCapability, title: string, body: () => Promise<void>): void;
}

/**
 * One storage contract's tests. `storageConformance` runs the suites of
 * `storageSuites`, each in a `describe` of its `name`; a suite alone runs
 * with {@link runStorageSuites}.
 */
export interface StorageSuite {
  /** The `describe` title of the suite's tests, for example `"messages"`. */
  name: string;
  /** Registers the suite's tests (called while vitest collects, inside the suite's `describe`). */
  tests(context: StorageSuiteContext): void;
}

/**
 * Registers `suites` in one `describe(title)` sharing one set of instances:
 * the first instance opens in `beforeAll`, and every instance `create`
 * returned is destroyed (or closed) in `afterAll`. Then
 * `options.additionalTests`, in the same `describe`.
 */
export function runStorageSuites(
  title: string,
  suites: readonly StorageSuite[],
  options: StorageSuiteOptions,
): void {
  describe(title, () => {
    const instances: Storage[] = [];
    let first: Storage | undefined;
    const lacks = new Set(options.lacks ?? []);

    const context: StorageSuiteContext = {
      options,
      get storage(): Storage {
        if (!first) throw new Error("context.storage is ready in tests and hooks only");
        return first;
      },
      async open() {
        const instance = await options.create();
        instances.push(instance);
        return instance;
      },
      async openWithLimits(limits) {
        if (!options.createWithLimits) {
          throw new Error(
            `${options.name} has no createWithLimits: pass it, or lacks: ["messageChangeLimits"] to skip the tests that need it`,
          );
        }
        const instance = await options.createWithLimits(limits);
        instances.push(instance);
        return instance;
      },
      append: (draft, on) => (on ?? context.storage).messages.append(draft),
      async allMessages(conversationId, pageSize = 50) {
        const result: Message[] = [];
        for (let afterSeq = 0; result.length < 100_000; ) {
          const page = await context.storage.messages.range(conversationId, {
            afterSeq,
            limit: pageSize,
          });
          if (page.length === 0) return result;
          result.push(...page);
          afterSeq = page[page.length - 1]!.seq;
        }
        return result;
      },
      async cursorOf(userId, conversationId) {
        const cursors = await context.storage.cursors.cursors(userId, [conversationId]);
        return cursors.find((c) => c.conversationId === conversationId);
      },
      itWith(capability, title, body) {
        if (lacks.has(capability)) {
          it.skip(`${title} [skipped: ${options.name} declares it lacks ${capability}]`, body);
          return;
        }
        it(title, async () => {
          if (!HAS_CAPABILITY[capability](context.storage, options)) {
            throw new Error(
              `${options.name} has no ${capability}: implement it, or pass lacks: ["${capability}"] to the suite to skip its tests`,
            );
          }
          await body();
        });
      },
    };

    beforeAll(async () => {
      first = await context.open();
    });

    afterAll(async () => {
      for (const instance of instances.splice(0)) {
        if (options.destroy) await options.destroy(instance);
        else await instance.close();
      }
    });

    for (const suite of suites) describe(suite.name, () => suite.tests(context));
    options.additionalTests?.(context);
  });
}
