import { v7 as uuidv7 } from "uuid";

/** A new UUIDv7: globally unique and ordered by creation time. */
export function newMessageId(): string {
  return uuidv7();
}

/** A new random id with a readable prefix, for sessions, nodes, groups and outbox entries. */
export function newId(prefix: string): string {
  return `${prefix}_${uuidv7().replaceAll("-", "")}`;
}
