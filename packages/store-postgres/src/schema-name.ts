import { ImError } from "@lucky-im/core";

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Schema names are interpolated as identifiers: accept plain ones only. */
export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw new ImError(
      "bad_request",
      `[lucky-im] [store-postgres] invalid schema name "${schema}": use letters, digits and _ (max 63)`,
    );
  }
}
