import { uniqueName } from "@lucky-im/core/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceUrl } from "../../../test/services.js";
import { loadSharedLoginKey } from "../src/login-keys.js";
import { schemaMigrations } from "../src/migrations/schema-migrations.js";

const postgresUrl = await serviceUrl("postgres");

describe.runIf(postgresUrl)("the login key shared through PostgreSQL", () => {
  const schema = uniqueName("chat_keys");
  const pool = new pg.Pool({ connectionString: postgresUrl, max: 4 });
  const secret = "a shared secret of at least 32 bytes";

  beforeAll(async () => {
    // The table comes from the server's migrations, as at start.
    await schemaMigrations({ kind: "postgres", pool, schema }).up();
  });

  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it("gives nodes that start together the same key, and the same key again later", async () => {
    const [a, b, c] = await Promise.all([
      loadSharedLoginKey(pool, { schema, secret }),
      loadSharedLoginKey(pool, { schema, secret }),
      loadSharedLoginKey(pool, { schema, secret }),
    ]);
    expect(a.kty).toBe("RSA");
    expect(a.d).toBeTruthy();
    expect(b.n).toBe(a.n);
    expect(c.n).toBe(a.n);
    expect((await loadSharedLoginKey(pool, { schema, secret })).n).toBe(a.n);
  });

  it("stores the private key sealed, and replaces it when the secret changed", async () => {
    const { rows } = await pool.query(`SELECT sealed FROM "${schema}".example_login_keys`);
    expect(rows).toHaveLength(1);
    const before = await loadSharedLoginKey(pool, { schema, secret });
    expect(rows[0].sealed).not.toContain(before.d);
    let replaced = 0;
    const after = await loadSharedLoginKey(pool, {
      schema,
      secret: "another secret of at least 32 bytes",
      onReplace: () => replaced++,
    });
    expect(replaced).toBe(1);
    expect(after.n).not.toBe(before.n);
  });
});
