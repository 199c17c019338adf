import { beforeAll, expect, it } from "vitest";
import type { Storage } from "../contracts/storage.js";
import { DEFAULT_PEOPLE_LIMITS } from "../domain/people-limits.js";
import { expectImError, oneTo, uid } from "./fixtures.js";
import { runStorageSuites, type StorageSuite, type StorageSuiteOptions } from "./storage-suite.js";

/** The `ProfileStore` tests (`storage.profiles`); {@link profileStoreConformance} runs them alone. */
export const profileStoreSuite: StorageSuite = {
  name: "profiles",
  tests(context) {
    let storage: Storage;
    let other: Storage;
    beforeAll(async () => {
      storage = context.storage;
      other = await context.open();
    });

    const now = 1_700_000_000_000;

    it("creates a profile with defaults on the first update and patches field by field", async () => {
      const a = uid("a");
      expect(await storage.profiles.get(a)).toBeUndefined();
      expect(await storage.profiles.update(a, { displayName: "Ada 🦄" }, now)).toEqual({
        userId: a,
        username: null,
        displayName: "Ada 🦄",
        avatar: null,
        searchable: true,
        hideLastSeen: false,
        lastSeenAt: null,
        updatedAt: now,
      });
      await other.profiles.update(a, { avatar: "file_123", hideLastSeen: true }, now + 1);
      await other.profiles.update(a, { username: "ada" }, now + 2);
      expect(await storage.profiles.get(a)).toEqual({
        userId: a,
        username: "ada",
        displayName: "Ada 🦄",
        avatar: "file_123",
        searchable: true,
        hideLastSeen: true,
        lastSeenAt: null,
        updatedAt: now + 2,
      });
      await storage.profiles.update(a, { avatar: null, searchable: false }, now + 3);
      expect(await storage.profiles.get(a)).toMatchObject({ avatar: null, searchable: false });
    });

    it("refuses fields over the limits, U+0000 and wrong types", async () => {
      const a = uid("a");
      const long = "n".repeat(DEFAULT_PEOPLE_LIMITS.maxDisplayNameLength + 1);
      await expectImError(
        storage.profiles.update(a, { displayName: long }, now),
        "bad_request",
        "name",
      );
      await expectImError(
        storage.profiles.update(
          a,
          { avatar: "a".repeat(DEFAULT_PEOPLE_LIMITS.maxAvatarLength + 1) },
          now,
        ),
        "bad_request",
        "avatar",
      );
      await expectImError(
        storage.profiles.update(a, { displayName: "a\u0000b" }, now),
        "bad_request",
        "NUL",
      );
      await expectImError(
        storage.profiles.update(a, { searchable: "yes" as never }, now),
        "bad_request",
        "flag type",
      );
      expect(await storage.profiles.get(a)).toBeUndefined();
    });

    it("getMany returns the existing profiles in the order asked, once each", async () => {
      const [a, b, c] = [uid("a"), uid("b"), uid("c")];
      await storage.profiles.update(a, { displayName: "A" }, now);
      await storage.profiles.update(b, { displayName: "B" }, now);
      const found = await other.profiles.getMany([b, c, a, b]);
      expect(found.map((p) => p.userId)).toEqual([b, a]);
      expect(await other.profiles.getMany([])).toEqual([]);
    });

    it("last seen never moves back and does not touch updatedAt", async () => {
      const a = uid("a");
      await storage.profiles.setLastSeen(a, now + 100);
      expect(await storage.profiles.get(a)).toMatchObject({
        lastSeenAt: now + 100,
        displayName: "",
      });
      await other.profiles.update(a, { displayName: "x" }, now + 5);
      await other.profiles.setLastSeen(a, now + 50);
      await other.profiles.setLastSeen(a, now + 200);
      expect(await storage.profiles.get(a)).toMatchObject({
        lastSeenAt: now + 200,
        updatedAt: now + 5,
      });
    });

    it("searches display names and usernames by prefix, ignoring case, searchable users only", async () => {
      const tag = uid("Zq").toLowerCase();
      const [a, b, c, d] = [uid("a"), uid("b"), uid("c"), uid("d")];
      await storage.profiles.update(a, { displayName: `${tag.toUpperCase()} Alice` }, now);
      await storage.profiles.update(b, { displayName: "Bob", username: `${tag}_bob` }, now);
      await storage.profiles.update(c, { displayName: `${tag} hidden`, searchable: false }, now);
      await storage.profiles.update(d, { displayName: `x ${tag}` }, now);
      const hits = await other.profiles.search(`  ${tag} `);
      expect(hits.map((p) => p.userId)).toEqual([a, b]);
      expect((await other.profiles.search(`${tag} a`)).map((p) => p.userId)).toEqual([a]);
      expect(await other.profiles.search(`${tag}_bob_`)).toEqual([]);
    });

    it("matches Unicode case-insensitively and takes % and _ literally", async () => {
      const tag = uid("Éé").toLowerCase();
      const a = uid("a");
      const b = uid("b");
      await storage.profiles.update(a, { displayName: `${tag.toUpperCase()} Ödön 中文` }, now);
      await storage.profiles.update(b, { displayName: `${tag}%_x` }, now);
      expect((await storage.profiles.search(`${tag} ödön 中`)).map((p) => p.userId)).toEqual([a]);
      expect((await storage.profiles.search(`${tag}%_`)).map((p) => p.userId)).toEqual([b]);
      expect(await storage.profiles.search(`${tag}_`)).toEqual([]);
      expect(await storage.profiles.search(`${tag}%`)).toHaveLength(1);
    });

    it("pages search results by user id and checks the query", async () => {
      const tag = uid("pg");
      const ids = oneTo(5).map((i) => `${tag}_u${i}`);
      for (const id of ids) await storage.profiles.update(id, { displayName: `${tag} ${id}` }, now);
      const first = await storage.profiles.search(tag, { limit: 2 });
      const second = await storage.profiles.search(tag, { limit: 2, after: first[1]!.userId });
      const third = await storage.profiles.search(tag, { limit: 2, after: second[1]!.userId });
      expect([...first, ...second, ...third].map((p) => p.userId)).toEqual(ids);
      await expectImError(storage.profiles.search("   "), "bad_request", "empty query");
      await expectImError(
        storage.profiles.search("q".repeat(DEFAULT_PEOPLE_LIMITS.maxSearchLength + 1)),
        "bad_request",
        "long query",
      );
      await expectImError(storage.profiles.search(tag, { limit: 0 }), "bad_request", "limit 0");
    });
  },
};

/**
 * The conformance suite of {@link Storage.profiles} (the `ProfileStore`
 * contract): defaults, patches, batched reads, last seen, and prefix search
 * (case-insensitive, searchable users only, paged, literal wildcards). The
 * adapter must run with the default `PeopleLimits`.
 *
 * @example
 * ```ts
 * profileStoreConformance({ name: "sqlite", create: () => createSqliteStore({ path }) });
 * ```
 */
export function profileStoreConformance(options: StorageSuiteOptions): void {
  runStorageSuites(`${options.name} profile store conformance`, [profileStoreSuite], options);
}
