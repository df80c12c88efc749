/**
 * WebSockets on Bun: the app exports `websocket`, the handlers `Bun.serve` takes (`websocket` from
 * `hono/bun`), and upgrades with `server.upgrade()` in its fetch handler (`upgradeWebSocket` from
 * `hono/bun`), exactly as under `Bun.serve` itself. mgr hands the handlers on, wrapped so that each
 * socket counts as long-lived from its open to its close.
 *
 * @module
 */

import type { HttpEdge } from "../../src/core/protocol.ts";
import type { ClosableSocket, LongLivedConnections } from "../../src/runtime/long-lived.ts";

/** Bun's WebSocket handlers, as far as mgr touches them. */
export interface BunWebSocketHandlers {
  open?(socket: ClosableSocket): unknown;
  close?(socket: ClosableSocket, code: number, reason: string): unknown;
  message(socket: ClosableSocket, message: unknown): unknown;
  [option: string]: unknown;
}

/** The app's `websocket` export, or a one-line reason why Bun cannot take it. */
export function bunWebSocketHandlers(websocket: object | true | undefined): BunWebSocketHandlers | string | undefined {
  if (websocket === undefined) return undefined;
  if (typeof (websocket as { message?: unknown }).message !== "function") {
    return "on Bun, `websocket` must be Bun.serve's WebSocket handlers, with a `message` function " +
      "(`websocket` from hono/bun); WebSocket upgrades will fail";
  }
  return websocket as BunWebSocketHandlers;
}

/** The most seconds Bun's WebSocket `idleTimeout` takes. */
const MAX_IDLE_TIMEOUT_S = 960;

/**
 * `handlers` with every socket counted in `longLived` from its open to its close, and the edge's
 * WebSocket limits: `maxPayloadLength` from `wsMaxSize`; Bun (uWebSockets) has one timer per socket,
 * which pings a socket silent for `idleTimeout` and closes it after as long again, so `idleTimeout` is
 * `wsPingIntervalMs` and the pong's wait equals it.
 */
export function countingWebSockets(
  handlers: BunWebSocketHandlers,
  longLived: LongLivedConnections,
  edge: Pick<HttpEdge, "wsMaxSize" | "wsPingIntervalMs">,
): BunWebSocketHandlers {
  const { open, close } = handlers;
  const pings = edge.wsPingIntervalMs > 0;
  return {
    ...handlers,
    maxPayloadLength: edge.wsMaxSize,
    idleTimeout: pings ? Math.min(MAX_IDLE_TIMEOUT_S, Math.max(1, Math.round(edge.wsPingIntervalMs / 1000))) : 0,
    sendPings: pings,
    open(socket) {
      longLived.add(socket);
      return open?.call(handlers, socket);
    },
    close(socket, code, reason) {
      longLived.remove(socket);
      return close?.call(handlers, socket, code, reason);
    },
  };
}
