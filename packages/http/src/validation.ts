import { Ajv } from "ajv";
import type { FastifyInstance } from "fastify";

/**
 * Validates request parts against their TypeBox (JSON Schema) schemas:
 * JSON bodies strictly (a number is not a string), params and query strings
 * with type coercion (they arrive as text).
 */
export function installValidators(app: FastifyInstance): void {
  const strict = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false });
  const coercing = new Ajv({ coerceTypes: "array", useDefaults: true, removeAdditional: false });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === "body" ? strict : coercing).compile(schema),
  );
}
