/**
 * @packageDocumentation
 * Lucky IM WebSocket transport on `ws`: attach to an existing `http.Server`
 * (Express, Fastify, Koa, `node:http`) or listen on a port of its own.
 */

export { createWsTransport, type WsTransport } from "./ws-transport.js";
export { WS_TRANSPORT_DEFAULTS, type WsTransportOptions } from "./ws-transport-options.js";
