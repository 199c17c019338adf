import { directConversationId, type MessageDraft, newMessageId } from "@lucky-im/core";
import { uniqueName } from "@lucky-im/core/testing";
import pg from "pg";
import { serviceUrl } from "../../../test/services.js";

/** The PostgreSQL URL of the test run (undefined only off CI without a service: the file skips). */
export const pgUrl = await serviceUrl("postgres");

/** A schema name unique to one test file. */
export function testSchema(label: string): string {
  return uniqueName(`lim_${label}`).toLowerCase();
}

/** Runs one statement on a short-lived client. */
export async function query<R extends pg.QueryResultRow = pg.QueryResultRow>(
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Drops a test schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  await query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

let counter = 0;

/** A draft of a direct message from `from` to `to`. */
export function draft(
  from: string,
  to: string,
  overrides: Partial<MessageDraft> = {},
): MessageDraft {
  counter++;
  return {
    messageId: newMessageId(),
    conversationId: directConversationId(from, to),
    from,
    to: { type: "user", id: to },
    body: { type: "text", text: `hello ${counter}` },
    cid: `cid_${Date.now().toString(36)}_${counter}_${Math.random().toString(36).slice(2)}`,
    ts: Date.now(),
    participants: [from, to],
    ...overrides,
  };
}
