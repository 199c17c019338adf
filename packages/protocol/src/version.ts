/**
 * The WebSocket sub-protocol of version 1 of the Lucky IM wire protocol: clients offer it in
 * `Sec-WebSocket-Protocol` and the server selects it. A later, incompatible version gets a new name
 * (`lucky-im.v2`); additions that old peers can ignore keep this one.
 */
export const PROTOCOL_NAME = "lucky-im.v1";
