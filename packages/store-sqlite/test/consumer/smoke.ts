// Consumer smoke test: compiled and run from the packed tarball by scripts/consumer-check.mjs in
// every module setup (ESM node16/nodenext, CJS node16, bundler). It imports and type-checks the
// entry points without opening a database.
import type { Storage } from "@lucky-im/core";
import {
  createSqliteStore,
  type MigrateOptions,
  migrateToLatest,
  type SqliteStore,
  type SqliteStoreOptions,
} from "@lucky-im/store-sqlite";

const options: SqliteStoreOptions = { path: "./chat.db" };
const open: (o: SqliteStoreOptions) => unknown = createSqliteStore;
const asStorage = (store: SqliteStore): Storage => store;
const migrate: (o: MigrateOptions) => Promise<unknown> = migrateToLatest;

if (typeof open !== "function" || typeof migrate !== "function" || !options.path) {
  throw new Error("entry points missing");
}
void asStorage;
console.log("@lucky-im/store-sqlite ok");
