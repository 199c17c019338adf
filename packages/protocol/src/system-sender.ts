/**
 * The sender id of messages the application sends as itself (a system notice, an order
 * update) through `ImServer.send` with no `from` (docs/protocol.md §14). No user can
 * authenticate with it: the engine refuses a token whose subject is this id, so a message
 * `from` it was always sent by the application. Its `message` frames also carry `system: true`.
 */
export const SYSTEM_SENDER_ID = "~system";
