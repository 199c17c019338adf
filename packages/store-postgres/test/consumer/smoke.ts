// Consumer smoke test: compiled and run from the packed tarball by scripts/consumer-check.mjs in
// every module setup (ESM node16/nodenext, CJS node16, bundler). It imports and type-checks the
// entry points without connecting: the check needs no PostgreSQL.
import type { Storage } from "@lucky-im/core";
import {
  createPostgresStore,
  type MigrateOptions,
  migrateToLatest,
  type PostgresStore,
  type PostgresStoreOptions,
} from "@lucky-im/store-postgres";

const options: PostgresStoreOptions = {
  url: "postgres://postgres@127.0.0.1:5432/app",
  schema: "chat",
};
const open: (o: PostgresStoreOptions) => Promise<PostgresStore> = createPostgresStore;
const asStorage = (store: PostgresStore): Storage => store;
const migrate: (o: MigrateOptions) => Promise<unknown> = migrateToLatest;

if (typeof open !== "function" || typeof migrate !== "function" || options.schema !== "chat") {
  throw new Error("entry points missing");
}
void asStorage;
console.log("@lucky-im/store-postgres ok");
