/** A verification code to deliver. */
export interface CodeMessage {
  /** The e-mail address or phone number, normalised (trimmed, lower-cased). */
  recipient: string;
  /** The code, in clear: only the sender ever sees it. */
  code: string;
  /** What the code is for (`login`, `register`, ...). */
  purpose: string;
  /** When the code expires (ms since epoch). */
  expiresAt: number;
}

/**
 * Delivers verification codes (SMS, e-mail). The host implements it over its
 * provider; `createLoggingCodeSender` logs the code, for development.
 */
export interface CodeSender {
  /** Delivers the code; rejects when the provider refused it. */
  send(message: CodeMessage): Promise<void>;
}
