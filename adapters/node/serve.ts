/**
 * Serving a fetch handler with `node:http`, through `@hono/node-server`'s request listener, with a
 * drain that loses no request, behind mgr's HTTP edge: the head limits and the strictness Node's
 * parser lacks are checked before a Request is built, Node's own bounds (head size, head timeout,
 * idle keep-alive) are set from the edge, a body's stalls are bounded by its socket's timeout
 * (body-stall.ts), and what Node and the library would answer or print by
 * themselves (parse errors, a response the app made wrong) is answered properly and logged through mgr.
 *
 * @module
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Server as NetServer, Socket } from "node:net";
import { getRequestListener, RequestError } from "@hono/node-server";
import { isFdAddress, isUnixAddress, type ListenAddress } from "../../src/core/protocol.ts";
import type { FetchHandler } from "../../src/runtime/app.ts";
import { ListenError } from "../../src/runtime/worker-host.ts";
import type { ServeOptions, WorkerServer } from "../../src/runtime/worker-host.ts";
import { describeListenError } from "../../src/runtime/check-listen.ts";
import { DRAIN_IDLE_GRACE_MS } from "../../src/runtime/drain-grace.ts";
import { releaseGradually } from "./drain-pace.ts";
import { CLIENT_ERROR_RESPONSES, classifyClientError } from "./client-error.ts";
import { nodeEdgeOptions } from "./edge-options.ts";
import { edgeResponseClass, seal } from "./edge-response.ts";
import { announcesBody, boundBodyStalls } from "./body-stall.ts";
import { checkHead, forbiddenTrailer } from "./head-limits.ts";
import { createWebSocketServer, nodeWebSocketServer, trackWebSockets } from "./websocket.ts";
import { interceptHonoConsole } from "./hono-failures.ts";
import { describeRequest } from "./log-text.ts";
import { errorStack } from "../../src/core/error-text.ts";


interface Connection {
  socket: Socket;
  /** Requests on this connection whose response has not finished. */
  active: number;
  /** The response being written, if any: at a drain it is told `Connection: close`. */
  current?: ServerResponse;
  idleTimer?: ReturnType<typeof setTimeout>;
  /** A WebSocket now: closed by its goodbye (long-lived.ts), never as an idle keep-alive connection. */
  upgraded?: boolean;
  /** Told to close: each response from now on says `Connection: close` (drain-pace.ts says when). */
  closing?: boolean;
}

// The drain's bookkeeping rides on the socket and the response themselves, so a request costs a
// counter and one shared listener: a Set or Map operation and a closure per request cost ~5% of
// throughput (measured with bench/).
const CONNECTION = Symbol("mgr.connection");
type Tracked<T> = T & { [CONNECTION]?: Connection };

/** Serves `handler` on every address of `options.bind`; rejects with a {@linkcode ListenError}. */
export async function serveNode(
  handler: FetchHandler,
  options: ServeOptions,
  /** Resolves once the master has answered a ping (see the drain below). */
  roundTrip: () => Promise<void> = () => Promise.resolve(),
): Promise<WorkerServer> {
  const { edge, logClientError, logAppError } = options;
  // The request being handed to the library: it builds the Request synchronously, so a RequestError
  // it meets doing so is about this one.
  let handing: IncomingMessage | undefined;
  const listener = getRequestListener(handler, {
    // The library's own answer to a target or Host it cannot make a URL of is a silent 400.
    errorHandler(error) {
      if (error instanceof RequestError) {
        logClientError(`Invalid request from ${peerOf(handing?.socket)}: ${error.message.toLowerCase()}; answered 400`);
        return new Response(null, { status: 400, headers: { connection: "close", "content-length": "0" } });
      }
      // The worker loop's handler answers for every error of the app's; this is the library's own.
      logAppError(`Error serving a request: ${errorStack(error)}`);
      return new Response("Internal Server Error", { status: 500, headers: { "content-type": "text/plain" } });
    },
  });
  interceptHonoConsole();
  const nodeOptions = nodeEdgeOptions(edge, options.keepaliveMs);
  const EdgeResponse = edgeResponseClass((request, error) => {
    logAppError(`Error writing the response to ${describeRequest(request)}: ${errorStack(error)}`);
  });
  const connections = new Set<Connection>();
  let draining = false;
  let onEmpty: (() => void) | undefined;

  const closeWhenIdle = (connection: Connection) => {
    clearTimeout(connection.idleTimer);
    if (connection.upgraded) return;
    connection.idleTimer = setTimeout(() => {
      if (connection.active === 0) connection.socket.end();
    }, DRAIN_IDLE_GRACE_MS);
  };

  const onConnection = (socket: Tracked<Socket>) => {
    const connection: Connection = { socket, active: 0 };
    socket[CONNECTION] = connection;
    connections.add(connection);
    socket.once("close", () => {
      clearTimeout(connection.idleTimer);
      connections.delete(connection);
      if (draining && connections.size === 0) onEmpty?.();
    });
    if (draining) {
      connection.closing = true;
      closeWhenIdle(connection);
    }
  };

  function onResponseClose(this: Tracked<ServerResponse>) {
    const connection = this[CONNECTION];
    if (!connection) return;
    connection.active--;
    if (connection.current === this) connection.current = undefined;
    if (connection.closing && connection.active === 0) closeWhenIdle(connection);
  }

  const onRequest = (request: IncomingMessage, response: Tracked<ServerResponse>) => {
    const connection = (request.socket as Tracked<Socket>)[CONNECTION];
    if (connection) {
      connection.active++;
      connection.current = response;
      response[CONNECTION] = connection;
      if (connection.idleTimer) clearTimeout(connection.idleTimer);
    }
    response.on("close", onResponseClose);
    const rejection = checkHead(request, edge);
    if (rejection !== undefined) return refuse(request, response, rejection.status, rejection.reason);
    if (connection ? connection.closing : draining) response.setHeader("Connection", "close");
    // Node's parser takes Host in a trailer; only a chunked body has one.
    if (request.headers["transfer-encoding"] !== undefined) watchTrailers(request, response);
    if (edge.bodyTimeoutMs > 0 && announcesBody(request)) boundBodyStalls(request, response, edge.bodyTimeoutMs);
    handing = request;
    void listener(request, response);
    handing = undefined;
  };

  const refuse = (request: IncomingMessage, response: ServerResponse, status: number, reason: string) => {
    logClientError(`Invalid request from ${peerOf(request.socket)}: ${reason}; answered ${status}`);
    response.writeHead(status, { connection: "close", "content-length": 0 });
    response.end();
  };

  const watchTrailers = (request: IncomingMessage, response: ServerResponse) => {
    request.once("end", () => {
      const name = forbiddenTrailer(request.rawTrailers);
      if (name === undefined) return;
      // Before the app's body read resolves: the app may still answer, into a sealed response.
      if (response.headersSent) {
        logClientError(`Invalid request from ${peerOf(request.socket)}: ${name} in the trailer; closed`);
        response.destroy();
        return;
      }
      refuse(request, response, 400, `${name} in the trailer`);
      seal(response);
    });
  };

  const onClientError = (error: Error, socket: Socket & { _httpMessage?: ServerResponse | null }) => {
    const answer = classifyClientError(error, edge.headersTimeoutMs);
    if (answer.reason !== null) {
      logClientError(`Invalid request from ${peerOf(socket)}: ${answer.reason}${answer.status ? `; answered ${answer.status}` : ""}`);
    }
    // As Node's default does: answer unless a response to this connection has begun.
    if (answer.status !== null && socket.writable && !socket._httpMessage?.headersSent) {
      socket.write(CLIENT_ERROR_RESPONSES[answer.status]);
    }
    socket.destroy();
  };

  const wss = nodeWebSocketServer(options.websocket);
  if (typeof wss === "string") logAppError(`Cannot serve WebSockets: ${wss}`);
  else if (wss) {
    trackWebSockets(wss, options.longLived, edge, (request) => {
      const connection = (request.socket as Tracked<Socket>)[CONNECTION];
      if (!connection) return;
      connection.upgraded = true;
      clearTimeout(connection.idleTimer);
    });
  }

  const servers: Server[] = [];
  try {
    for (const address of options.bind) {
      const serverOptions = { ...nodeOptions, ServerResponse: EdgeResponse };
      const server = typeof wss === "object"
        ? createWebSocketServer(serverOptions, onRequest, handler, wss)
        : createServer(serverOptions, onRequest);
      server.maxHeadersCount = nodeOptions.maxHeadersCount;
      // Past it, Node closes each new connection unanswered as the cluster master hands it over.
      if (edge.maxConnections) server.maxConnections = edge.maxConnections;
      server.on("connection", onConnection);
      server.on("clientError", onClientError);
      servers.push(server);
      await listen(server, address, options.backlog);
    }
  } catch (error) {
    for (const server of servers) server.close();
    throw error;
  }

  let drained: Promise<void> | undefined;
  return {
    drain() {
      if (drained) return drained;
      draining = true;
      // net.Server's close, not http.Server's: since Node 19 the latter also closes idle keep-alive
      // connections at once, which races a client's next request on them. This only stops accepting
      // (in a cluster worker, it takes the worker out of the master's round-robin).
      for (const server of servers) NetServer.prototype.close.call(server);
      // A few at a time: the clients reconnect to a worker that may have just started (drain-pace.ts).
      releaseGradually([...connections], (connection) => {
        connection.closing = true;
        if (connection.current && !connection.current.headersSent) connection.current.setHeader("Connection", "close");
        if (connection.active === 0) closeWhenIdle(connection);
      });
      // Closing is not instant in a cluster worker: until the master has taken it out of the
      // round-robin, it may still send a connection, which Node's cluster code hands back if this
      // worker is alive to receive it, but which is lost (the client hangs) if it has exited. A ping
      // answered means every such message has arrived, so only then may the worker go.
      drained = roundTrip().then(() =>
        connections.size === 0 ? undefined : new Promise<void>((resolve) => (onEmpty = resolve))
      );
      return drained;
    },
    close() {
      for (const server of servers) server.close();
      for (const connection of connections) connection.socket.destroy();
    },
  };
}

function listen(server: Server, address: ListenAddress, backlog: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(new ListenError(address, describeListenError(error)));
    server.once("error", onError);
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    if (isFdAddress(address)) listenOnInherited(server, address.fd, backlog, onListening);
    else if (isUnixAddress(address)) server.listen({ path: address.path, backlog }, onListening);
    else server.listen({ host: address.host, port: address.port, backlog }, onListening);
  });
}

/**
 * Listens on a socket handed to this worker at spawn (spawn.ts) itself, never through the cluster
 * master, which has no copy under that number. `listen()` does that only for a TCP handle: given a
 * unix socket's (socket activation of `ListenStream=/run/app.sock`), it asks the cluster master to
 * listen on its own descriptor of that number, which fails with `bind EINVAL`. `_listen2`, the step
 * where `listen()` makes and opens the server handle in this process, takes either kind alike.
 */
function listenOnInherited(server: Server, fd: number, backlog: number, onListening: () => void): void {
  server.once("listening", onListening);
  (server as unknown as ListenInProcess)._listen2(null, null, null, backlog, fd);
}

/** The slice of `net.Server` that {@linkcode listenOnInherited} uses, there since Node 0.x. */
interface ListenInProcess {
  _listen2(address: null, port: null, addressType: null, backlog: number, fd: number): void;
}

function peerOf(socket: Socket | null | undefined): string {
  return socket?.remoteAddress ?? "an unknown peer";
}
