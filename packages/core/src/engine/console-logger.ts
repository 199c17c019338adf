import type { ImLogger } from "./options.js";

/** The default {@link ImLogger}: `console`, with the message first so it reads as a line. */
export const consoleLogger: ImLogger = {
  info: (fields, message) => console.info(message, fields),
  warn: (fields, message) => console.warn(message, fields),
  error: (fields, message) => console.error(message, fields),
};
