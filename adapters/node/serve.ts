/**
 * Serving a fetch handler with `node:http`, through `@hono/node-server`'s request listener, with a
 * drain that loses no request.
 *
 * @module
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Server as NetServer, type Socket } from "node:net";
import { getRequestListener } from "@hono/node-server";
import type { FetchHandler } from "../../src/runtime/app.ts";
import { ListenError } from "../../src/runtime/worker-host.ts";
import type { ServeOptions, WorkerServer } from "../../src/runtime/worker-host.ts";
import { describeListenError } from "./check-listen.ts";

/**
 * How long a keep-alive connection must stay idle during a drain before it is closed, in milliseconds.
 * A client that is busy sends its next request well within it and is answered with `Connection: close`;
 * closing at once would race that request and reset it unserved.
 */
export const DRAIN_IDLE_GRACE_MS = 500;

interface Connection {
  /** Requests on this connection whose response has not finished. */
  active: number;
  idleTimer?: ReturnType<typeof setTimeout>;
}

/** Serves `handler` on every address of `options.bind`; rejects with a {@linkcode ListenError}. */
export async function serveNode(handler: FetchHandler, options: ServeOptions): Promise<WorkerServer> {
  const listener = getRequestListener(handler);
  const connections = new Map<Socket, Connection>();
  const responses = new Set<ServerResponse>();
  let draining = false;
  let onEmpty: (() => void) | undefined;

  const closeWhenIdle = (socket: Socket, connection: Connection) => {
    clearTimeout(connection.idleTimer);
    connection.idleTimer = setTimeout(() => {
      if (connection.active === 0) socket.end();
    }, DRAIN_IDLE_GRACE_MS);
  };

  const onConnection = (socket: Socket) => {
    const connection: Connection = { active: 0 };
    connections.set(socket, connection);
    socket.once("close", () => {
      clearTimeout(connection.idleTimer);
      connections.delete(socket);
      if (draining && connections.size === 0) onEmpty?.();
    });
    if (draining) closeWhenIdle(socket, connection);
  };

  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    const connection = connections.get(request.socket);
    if (connection) {
      connection.active++;
      clearTimeout(connection.idleTimer);
    }
    responses.add(response);
    if (draining) response.setHeader("Connection", "close");
    response.once("close", () => {
      responses.delete(response);
      if (!connection) return;
      connection.active--;
      if (draining && connection.active === 0) closeWhenIdle(request.socket, connection);
    });
    void listener(request, response);
  };

  const servers: Server[] = [];
  try {
    for (const address of options.bind) {
      const server = createServer(onRequest);
      server.keepAliveTimeout = options.keepaliveMs;
      server.on("connection", onConnection);
      servers.push(server);
      await listen(server, address.host, address.port, options.backlog);
    }
  } catch (error) {
    for (const server of servers) server.close();
    throw error;
  }

  return {
    drain() {
      if (!draining) {
        draining = true;
        // net.Server's close, not http.Server's: since Node 19 the latter also closes idle keep-alive
        // connections at once, which races a client's next request on them. This only stops accepting
        // (in a cluster worker, it takes the worker out of the master's round-robin).
        for (const server of servers) NetServer.prototype.close.call(server);
        for (const response of responses) {
          if (!response.headersSent) response.setHeader("Connection", "close");
        }
        for (const [socket, connection] of connections) {
          if (connection.active === 0) closeWhenIdle(socket, connection);
        }
      }
      if (connections.size === 0) return Promise.resolve();
      return new Promise((resolve) => (onEmpty = resolve));
    },
    close() {
      for (const server of servers) server.close();
      for (const socket of connections.keys()) socket.destroy();
    },
  };
}

function listen(server: Server, host: string, port: number, backlog: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(new ListenError({ host, port }, describeListenError(error)));
    server.once("error", onError);
    server.listen({ host, port, backlog }, () => {
      server.off("error", onError);
      resolve();
    });
  });
}
