import {
  createCipheriv,
  createDecipheriv,
  generateKeyPair,
  hkdfSync,
  type JsonWebKey,
  randomBytes,
} from "node:crypto";
import { promisify } from "node:util";
import type { Pool } from "pg";
import { LOGIN_KEY_TABLE } from "./migrations/login-key-migrations.js";

const generateRsa = promisify(generateKeyPair);

/** The RSA key clients encrypt passwords to, as a private JWK. */
export type PrivateJwk = JsonWebKey & { kty: "RSA"; d: string };

/** A fresh 2048-bit RSA private key as a JWK. */
export async function generateLoginKey(): Promise<PrivateJwk> {
  const { privateKey } = await generateRsa("rsa", { modulusLength: 2048 });
  return privateKey.export({ format: "jwk" }) as PrivateJwk;
}

/** AES-256-GCM key derived from the JWT secret: the row is useless without it. */
function wrappingKey(secret: string): Buffer {
  return Buffer.from(
    hkdfSync("sha256", secret, "lucky-im/example-chat-server", "login-key-wrapping", 32),
  );
}

function seal(jwk: PrivateJwk, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", wrappingKey(secret), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(jwk), "utf8"), cipher.final()]);
  return ["v1", iv, body, cipher.getAuthTag()]
    .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
    .join(".");
}

function open(sealed: string, secret: string): PrivateJwk | undefined {
  const [version, iv, body, tag] = sealed.split(".");
  if (version !== "v1" || !iv || !body || !tag) return undefined;
  try {
    const decipher = createDecipheriv(
      "aes-256-gcm",
      wrappingKey(secret),
      Buffer.from(iv, "base64url"),
    );
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    const plain = Buffer.concat([
      decipher.update(Buffer.from(body, "base64url")),
      decipher.final(),
    ]);
    return JSON.parse(plain.toString("utf8")) as PrivateJwk;
  } catch {
    return undefined;
  }
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * The login key every node of a cluster shares: read from PostgreSQL (its table
 * comes from the server's migrations, see migrations/login-key-migrations.ts), or
 * created there by the first node (in a transaction under an advisory lock,
 * so nodes starting together agree). The private key is stored sealed with a
 * key derived from the JWT secret (AES-256-GCM), which every node holds
 * anyway. A row sealed with another secret (the secret changed) is replaced,
 * and `onReplace` says so.
 */
export async function loadSharedLoginKey(
  pool: Pool,
  options: { schema: string; secret: string; onReplace?: () => void },
): Promise<PrivateJwk> {
  const table = `${quote(options.schema)}.${LOGIN_KEY_TABLE}`;
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext('lucky-im/example/login-key'))");
    const { rows } = await client.query(`SELECT sealed FROM ${table} WHERE id = 'current'`);
    const sealed = rows[0]?.sealed as string | undefined;
    const stored = sealed === undefined ? undefined : open(sealed, options.secret);
    if (stored) {
      await client.query("COMMIT");
      return stored;
    }
    if (sealed !== undefined) options.onReplace?.();
    const fresh = await generateLoginKey();
    await client.query(
      `INSERT INTO ${table} (id, sealed) VALUES ('current', $1)
       ON CONFLICT (id) DO UPDATE SET sealed = EXCLUDED.sealed, created_at = now()`,
      [seal(fresh, options.secret)],
    );
    await client.query("COMMIT");
    return fresh;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
