/**
 * Serving a fetch handler on Deno one connection at a time, so that every connection has a clock.
 *
 * The worker accepts connections itself from a `Deno.listen({ reusePort })` listener and gives each
 * one a server of its own (`serveHttpOnConnection`, deno-internal.ts), watched by the worker's
 * {@linkcode ConnectionClock}:
 * - a connection whose first request head has not arrived within `headersTimeout` is answered
 *   `408 Request Timeout` and closed (connection-socket.ts), as Node does;
 * - one that stays idle for `keepalive` after a request is closed once nothing is in progress on it:
 *   its server's `shutdown()` lets a response that is still streaming finish first, and no timer is
 *   armed while a handler works, so neither a slow handler, a stream nor an upload is ever cut;
 * - one whose response is an error that says `Connection: close` (a 413 before the body was read, a
 *   408 for a stalled body, a refused head) is closed after that response, and at the latest 500 ms
 *   later, read or not; any response of a draining worker closes its connection once it is sent:
 *   Deno's own server leaves the closing to the client.
 *
 * Cost, measured in pairs against `Deno.serve` (BENCHMARKS.md, "The HTTP edge on Deno"): per
 * request ~1% (an increment, the head checks of head-checks.ts, a look at the response's status);
 * per new connection ~15 µs of CPU, +36% for a connection that carries one request, as `Deno.serve`
 * accepts in Rust and starts no server per connection.
 *
 * The drain closes the listeners (with `net.ipv4.tcp_migrate_req=1` their queued connections move to
 * the other workers' listeners), marks every later response `Connection: close` and closes its
 * connection after it, and after a short grace closes the connections that stayed idle, waiting for
 * the rest. Closing the listener loses nothing here, unlike `Deno.serve`'s `shutdown()`, which also
 * closes the connections accepted but not yet read: measured with bench/recycle-loss.ts (8 and 32
 * clients), 0 requests lost in 324 swaps with a connection per request and in 408 with keep-alive
 * clients, as with the `shutdown(2)` step the `Deno.serve` way needs (listening-socket.ts).
 *
 * @module
 */

import { realClock } from "../../src/runtime/real-clock.ts";
import type { FetchHandler } from "../../src/runtime/app.ts";
import { withConnectionClose } from "../../src/runtime/connection-close.ts";
import { DRAIN_IDLE_GRACE_MS } from "../../src/runtime/drain-grace.ts";
import type { ServeOptions, WorkerServer } from "../../src/runtime/worker-host.ts";
import { withoutBodyReservation } from "./body-reservation.ts";
import { ConnectionClock, WatchedConnection } from "./connection-watch.ts";
import type { DenoConn, DenoListener, DenoNetAddr, DenoServeHandlerInfo } from "./deno-api.ts";
import type { ConnectionHttpServer, ConnectionServing } from "./deno-internal.ts";
import { checkHead, fallbackPrefix, refusalResponse } from "./head-checks.ts";
import { answerRequestTimeout, shutdownConnection } from "./connection-socket.ts";
import { serveErrorHandler } from "./serve-error.ts";

/** A connection being served. */
interface Connection {
  /** Closes the connection once its response in progress, if any, is complete. */
  closeAfterResponse(): void;
  /** Closes the connection now, whatever it is doing. */
  closeNow(): void;
}

/** Accept errors that say nothing about the listener: the worker waits and accepts again (as Go's net/http does). */
const TRANSIENT_ACCEPT_ERROR = /\(os error (?:4|11|12|23|24|103|105)\)/;
const MAX_ACCEPT_BACKOFF_MS = 1_000;

/**
 * How long a connection closing after an error answer may wait for the rest of its request before it
 * is closed at once (Node closes such a connection ~500 ms after its 413, measured). Long enough for
 * the short answer to reach the client first.
 */
const ERROR_LINGER_MS = 500;

/**
 * Serves `handler` on `listeners` one connection at a time with `serving`. The listeners are the
 * server's from now on: it closes them when it drains or closes.
 */
export function serveConnections(
  listeners: DenoListener[],
  handler: FetchHandler,
  options: ServeOptions,
  serving: ConnectionServing,
): WorkerServer {
  const { edge, keepaliveMs, logClientError, logAppError } = options;
  const app = withoutBodyReservation(handler, edge);
  const connections = new Set<Connection>();
  const connectionClock = new ConnectionClock({ headersTimeoutMs: edge.headersTimeoutMs, keepaliveMs, clock: realClock });
  let draining = false;
  let stopping = false;
  let drained: Promise<void> | undefined;
  let onLastConnection: (() => void) | undefined;
  // --worker-connections: at the limit the accept loops wait here, and new connections stay queued in
  // the kernel (up to --backlog) until one of this worker's connections closes.
  const maxConnections = edge.maxConnections ?? 0;
  const waitingForRoom: (() => void)[] = [];

  const onError = serveErrorHandler(options);

  const serveConnection = (conn: DenoConn) => {
    const peer = conn.remoteAddr;
    const prefix = fallbackPrefix(conn.localAddr.hostname, conn.localAddr.port);
    let closing = false;
    let ended = false;
    const closeAfterResponse = () => {
      if (closing) return;
      closing = true;
      connectionClock.unwatch(watch);
      // Never rejects on a connection already gone; closes at once one without a request in progress.
      server.shutdown().catch(() => {});
    };
    // On the socket itself where Deno tells its descriptor (connection-socket.ts says why not by
    // Deno's abort signal), else through the server: at once all the same for a connection that has
    // no request in progress, the one kind closed this way outside a quick stop.
    const closeNow = () => {
      const fd = ended ? undefined : serving.descriptorOf(conn);
      if (fd === undefined || !shutdownConnection(fd, peer)) closeAfterResponse();
    };
    // Deno's server, told to close after the response, still waits for the rest of a request body
    // nobody reads (a 413 before the body, a stalled upload): after a short linger, it is closed anyway.
    const closeAfterError = () => {
      closeAfterResponse();
      setTimeout(() => {
        const fd = ended ? undefined : serving.descriptorOf(conn);
        if (fd !== undefined) shutdownConnection(fd, peer);
      }, ERROR_LINGER_MS);
    };
    const watch = new WatchedConnection(() => {
      const fd = serving.descriptorOf(conn);
      const answered = fd !== undefined && answerRequestTimeout(fd, peer);
      // The same line as Node's for its own 408.
      logClientError(
        `Invalid request from ${formatPeer(peer)}: request head not received within ${edge.headersTimeoutMs / 1000} s; ` +
          (answered ? "answered 408" : "closed"),
      );
      closeNow();
    }, closeAfterResponse);

    const finish = (response: Response): Response => {
      if (draining) {
        closeAfterResponse();
        return withConnectionClose(response);
      }
      // A non-Response is Deno's to refuse (onError); only error answers are looked into further.
      if (((response as Response | undefined)?.status ?? 0) >= 400 && saysClose(response)) closeAfterError();
      return response;
    };
    const serveRequest = (request: Request, info: DenoServeHandlerInfo): Response | Promise<Response> => {
      watch.begin();
      const refusal = checkHead(request, edge.limitRequestLine, prefix);
      if (refusal !== undefined) {
        logClientError(`Invalid request from ${formatPeer(peer)}: ${refusal.reason}; answered ${refusal.status}`);
        closeAfterError();
        return refusalResponse(refusal);
      }
      const result = app(request, info);
      if (typeof (result as Partial<Promise<Response>> | undefined)?.then !== "function") return finish(result as Response);
      watch.beginAsync();
      return (result as Promise<Response>).then(
        (response) => {
          watch.end();
          return finish(response);
        },
        (error: unknown) => {
          watch.end();
          throw error;
        },
      );
    };

    let server: ConnectionHttpServer;
    try {
      server = serving.serveHttpOnConnection(conn, undefined, serveRequest, onError, () => {});
    } catch (error) {
      logClientError(`Cannot serve a connection from ${formatPeer(peer)}: ${messageOf(error)}`);
      try {
        conn.close();
      } catch {
        // Already gone.
      }
      return;
    }
    const connection: Connection = { closeAfterResponse, closeNow };
    connections.add(connection);
    connectionClock.watch(watch);
    const gone = () => {
      ended = true;
      connectionClock.unwatch(watch);
      connections.delete(connection);
      for (const wake of waitingForRoom.splice(0)) wake();
      if (connections.size === 0) onLastConnection?.();
    };
    // A client's reset rejects `finished`: nothing to report, the connection is simply gone.
    server.finished.then(gone, gone);
  };

  const acceptLoop = async (listener: DenoListener) => {
    let backoffMs = 0;
    for (;;) {
      let conn: DenoConn;
      while (maxConnections > 0 && connections.size >= maxConnections) {
        await new Promise<void>((resolve) => waitingForRoom.push(resolve));
      }
      try {
        conn = await listener.accept();
      } catch (error) {
        // A drain or a stop closes the listener: the loop is over.
        if (stopping || !TRANSIENT_ACCEPT_ERROR.test(messageOf(error))) {
          if (!stopping) logAppError(`Stopped accepting connections on ${formatPeer(listener.addr)}: ${messageOf(error)}`);
          return;
        }
        backoffMs = Math.min(backoffMs === 0 ? 5 : backoffMs * 2, MAX_ACCEPT_BACKOFF_MS);
        logAppError(`Cannot accept a connection on ${formatPeer(listener.addr)}: ${messageOf(error)}; retrying in ${backoffMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        continue;
      }
      backoffMs = 0;
      serveConnection(conn);
    }
  };
  for (const listener of listeners) void acceptLoop(listener);

  const closeListeners = () => {
    for (const listener of listeners) {
      try {
        listener.close();
      } catch {
        // Closed already.
      }
    }
  };

  return {
    drain() {
      if (!drained) {
        draining = true;
        stopping = true;
        closeListeners();
        drained = new Promise<void>((resolve) => setTimeout(resolve, DRAIN_IDLE_GRACE_MS)).then(() => {
          const allGone = new Promise<void>((resolve) => (onLastConnection = resolve));
          for (const connection of connections) connection.closeAfterResponse();
          return connections.size === 0 ? undefined : allGone;
        }).then(() => connectionClock.stop());
      }
      return drained;
    },
    close() {
      stopping = true;
      connectionClock.stop();
      closeListeners();
      for (const connection of connections) connection.closeNow();
    },
  };
}

/** Whether `response` asks for its connection to be closed. Read only for error answers: `headers.get` costs. */
function saysClose(response: Response): boolean {
  return response.headers.get("connection")?.toLowerCase().includes("close") === true;
}

function formatPeer(address: DenoNetAddr): string {
  return address.hostname.includes(":") ? `[${address.hostname}]:${address.port}` : `${address.hostname}:${address.port}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
