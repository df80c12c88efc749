/**
 * WebSockets on Node, the way `@hono/node-server` serves them: the app exports
 * `websocket: { server }`, a ws `WebSocketServer` made with `noServer: true`, and routes with
 * `upgradeWebSocket` from `@hono/node-server`. The library answers the upgrade through the same fetch
 * handler as every request (so it is counted and logged like one); mgr counts each socket as long-lived
 * until it closes.
 *
 * @module
 */

import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerOptions, type ServerResponse } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import type { FetchHandler } from "../../src/runtime/app.ts";
import type { HttpEdge } from "../../src/core/protocol.ts";
import type { ClosableSocket, LongLivedConnections } from "../../src/runtime/long-lived.ts";
import { type PingableSocket, WebSocketPings } from "./websocket-pings.ts";

/** What a ws `WebSocketServer` offers that mgr uses. */
interface WebSocketServerLike {
  options: { noServer?: boolean; maxPayload?: number };
  on(
    event: "connection",
    listener: (socket: ClosableSocket & PingableSocket, request: IncomingMessage) => void,
  ): void;
}

/** The `websocket` export mgr can serve on Node, or a one-line reason why not. */
export function nodeWebSocketServer(websocket: object | true | undefined): WebSocketServerLike | string | undefined {
  if (websocket === undefined) return undefined;
  const server = (websocket as { server?: Partial<WebSocketServerLike> }).server;
  if (typeof server?.on !== "function" || typeof server.options !== "object") {
    return "on Node, `websocket` must be `{ server }` with a ws WebSocketServer (Bun's handlers do not apply here); " +
      "WebSocket upgrades will be refused";
  }
  if (server.options.noServer !== true) {
    return "the ws WebSocketServer of `websocket` must be made with `{ noServer: true }`: mgr owns the HTTP server; " +
      "WebSocket upgrades will be refused";
  }
  return server as WebSocketServerLike;
}

/**
 * Counts every socket `wss` opens in `longLived` until it closes, pings it (websocket-pings.ts), and
 * tells `onUpgraded` the request it was upgraded from (its connection is the socket's now). The
 * edge's `wsMaxSize` becomes the server's `maxPayload` (ws closes a socket with 1009 past it). Once per
 * WebSocketServer.
 */
export function trackWebSockets(
  wss: WebSocketServerLike,
  longLived: LongLivedConnections,
  edge: Pick<HttpEdge, "wsMaxSize" | "wsPingIntervalMs" | "wsPingTimeoutMs">,
  onUpgraded: (request: IncomingMessage) => void,
): void {
  // ws reads it for every socket it opens.
  wss.options.maxPayload = edge.wsMaxSize;
  const pings = new WebSocketPings(edge);
  wss.on("connection", (socket, request) => {
    onUpgraded(request);
    pings.watch(socket);
    longLived.add(socket);
    socket.once("close", () => longLived.remove(socket));
  });
}

/**
 * An `http.Server` made with `options` and `onRequest`, whose upgrades `@hono/node-server` hands to
 * `wss` through `fetch`.
 */
export function createWebSocketServer(
  options: ServerOptions<typeof IncomingMessage, typeof ServerResponse<IncomingMessage>>,
  onRequest: RequestListener<typeof IncomingMessage, typeof ServerResponse<IncomingMessage>>,
  fetch: FetchHandler,
  wss: WebSocketServerLike,
): Server {
  // The library's own request listener is not used: mgr's (head checks, drain) serves requests.
  const make = () => createServer(options, onRequest);
  return createAdaptorServer({
    fetch,
    websocket: { server: wss as never },
    createServer: make as never,
  }) as Server;
}
