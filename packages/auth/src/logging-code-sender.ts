import type { CodeSender } from "./contracts/code-sender.js";

/** Options of {@link createLoggingCodeSender}. */
export interface LoggingCodeSenderOptions {
  /**
   * Where the codes are written.
   * @default console
   */
  logger?: {
    /** Writes one line holding the recipient, the purpose, the code and its expiry. */
    info(message: string): void;
  };
}

/**
 * A {@link CodeSender} for development: it logs each code instead of sending
 * it. Never use it in production: anyone who reads the logs can log in.
 */
export function createLoggingCodeSender(options: LoggingCodeSenderOptions = {}): CodeSender {
  const logger = options.logger ?? console;
  return {
    async send({ recipient, code, purpose, expiresAt }) {
      logger.info(
        `[lucky-im] [auth] verification code for ${recipient} (${purpose}): ${code}, valid until ${new Date(expiresAt).toISOString()}`,
      );
    },
  };
}
