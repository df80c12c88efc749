/**
 * Serving a fetch handler on Deno, one SO_REUSEPORT listener per address, with the HTTP edge and a
 * drain that loses no request.
 *
 * Two ways, chosen once per worker:
 * - One connection at a time (connection-server.ts), whenever this Deno has the internal API for it
 *   (deno-internal.ts) and a connection bound is on (`headersTimeout` or `keepalive` above 0, the
 *   defaults): slow, silent and idle clients are closed, and a connection is closed after an error
 *   answer that says `Connection: close`.
 * - `Deno.serve`, otherwise: its accept loop runs in Rust, ~10 µs of CPU cheaper per connection, but
 *   it shows requests, not connections, so it bounds nothing about one: a client that never sends a
 *   request, sends its head a byte at a time, or idles between requests keeps its connection as long
 *   as it likes, and an error answer does not close it. Behind a proxy that bounds its clients (nginx:
 *   deploy/nginx/), `--headers-timeout 0 --keepalive 0` asks for this way.
 *
 * Both check each request head the same way (head-checks.ts) and report what Deno would print by
 * itself (a response stream that fails) through mgr's logger.
 *
 * @module
 */

import type { FetchHandler } from "../../src/runtime/app.ts";
import { isFdAddress, isTcpAddress, isUnixAddress } from "../../src/core/protocol.ts";
import { closeConnectionsWhileDraining } from "../../src/runtime/connection-close.ts";
import { INHERITED_SOCKETS_UNSUPPORTED, ListenError, UNIX_SOCKETS_UNSUPPORTED } from "../../src/runtime/worker-host.ts";
import type { ServeOptions, WorkerServer } from "../../src/runtime/worker-host.ts";
import { describeListenError } from "../../src/runtime/check-listen.ts";
import { DRAIN_IDLE_GRACE_MS } from "../../src/runtime/drain-grace.ts";
import { withoutBodyReservation } from "./body-reservation.ts";
import { serveConnections } from "./connection-server.ts";
import { Deno } from "./deno-api.ts";
import type { DenoHttpServer, DenoListener, DenoServeHandlerInfo } from "./deno-api.ts";
import { findConnectionServing } from "./deno-internal.ts";
import { checkHead, fallbackPrefix, refusalResponse } from "./head-checks.ts";
import { findNewSockets, findOpenSockets, stopAccepting } from "./listening-socket.ts";
import { serveErrorHandler } from "./serve-error.ts";
import type { OpenSocket } from "./listening-socket.ts";
import { countWebSockets, UPGRADE_NEEDS_DENO_SERVE } from "./websocket.ts";

/** Serves `handler` on every address of `options.bind`; rejects with a {@linkcode ListenError}. */
export async function serveDeno(handler: FetchHandler, options: ServeOptions): Promise<WorkerServer> {
  for (const address of options.bind) {
    if (isUnixAddress(address)) throw new ListenError(address, UNIX_SOCKETS_UNSUPPORTED);
    if (isFdAddress(address)) throw new ListenError(address, INHERITED_SOCKETS_UNSUPPORTED);
  }
  const serving = findConnectionServing();
  // Only Deno.serve keeps an upgraded connection open: an app that serves WebSockets says so.
  const bounded = (options.edge.headersTimeoutMs > 0 || options.keepaliveMs > 0) && options.websocket === undefined;
  if (serving === undefined || !bounded) {
    countWebSockets(Deno, options.longLived, options.edge);
    return serveWithDenoServe(handler, options);
  }
  countWebSockets(Deno, options.longLived, options.edge, UPGRADE_NEEDS_DENO_SERVE);
  return serveConnections(listen(options), handler, options, serving);
}

/** Listens on every address of `options.bind` with SO_REUSEPORT; closes what it opened if one fails. */
function listen(options: ServeOptions): DenoListener[] {
  const listeners: DenoListener[] = [];
  for (const address of options.bind) {
    if (!isTcpAddress(address)) continue; // refused above
    try {
      const listener = Deno.listen({
        hostname: address.host,
        port: address.port,
        // Every worker listens on the port itself and the kernel spreads connections across them.
        reusePort: true,
        tcpBacklog: options.backlog,
      });
      listeners.push(listener);
    } catch (error) {
      for (const listener of listeners) listener.close();
      throw new ListenError(address, describeListenError(error));
    }
  }
  return listeners;
}

/**
 * Serves with `Deno.serve`. Its one way to stop accepting, `shutdown()`, also closes at once every
 * connection that is not in the middle of a request (measured: the FIN leaves within a millisecond),
 * including one accepted an instant before, whose first request has not been read yet. So the drain
 * stops the listeners with `shutdown(2)` first (listening-socket.ts), marks every response from then
 * on `Connection: close`, and calls `shutdown()` after a short grace.
 */
async function serveWithDenoServe(handler: FetchHandler, options: ServeOptions): Promise<WorkerServer> {
  const { edge, logClientError } = options;
  let draining = false;
  let drained: Promise<void> | undefined;
  const serveHandler = closeConnectionsWhileDraining(withoutBodyReservation(handler, edge), () => draining);

  const servers: { server: DenoHttpServer; abort: AbortController; sockets: OpenSocket[] }[] = [];
  for (const address of options.bind) {
    if (!isTcpAddress(address)) continue; // refused above
    const abort = new AbortController();
    try {
      const prefix = fallbackPrefix(address.host, address.port);
      // Deno.serve listens before it returns: the socket that appears meanwhile is its listener.
      const before = findOpenSockets();
      const server = Deno.serve({
        hostname: address.host,
        port: address.port,
        reusePort: true,
        tcpBacklog: options.backlog,
        signal: abort.signal,
        // Silences Deno's own "Listening on" line: the master logs its addresses once.
        onListen: () => {},
        onError: serveErrorHandler(options),
        handler(request: Request, info: DenoServeHandlerInfo) {
          const refusal = checkHead(request, edge.limitRequestLine, prefix);
          if (refusal === undefined) return serveHandler(request, info);
          const peer = info.remoteAddr;
          logClientError(`Invalid request from ${peer.hostname}:${peer.port}: ${refusal.reason}; answered ${refusal.status}`);
          return refusalResponse(refusal);
        },
      });
      servers.push({ server, abort, sockets: findNewSockets(before) });
    } catch (error) {
      // Release the addresses already taken before reporting the one that failed.
      for (const { abort } of servers) abort.abort();
      await Promise.allSettled(servers.map(({ server }) => server.finished));
      throw new ListenError(address, describeListenError(error));
    }
  }

  return {
    drain() {
      if (!drained) {
        draining = true;
        for (const { server, sockets } of servers) stopListening(server, sockets);
        // shutdown() closes WebSockets too, with Deno's own 1001: not before the worker's goodbye has.
        drained = new Promise<void>((resolve) => setTimeout(resolve, DRAIN_IDLE_GRACE_MS))
          .then(() => options.longLived.whenEmpty())
          .then(() => Promise.all(servers.map(({ server }) => server.shutdown())))
          .then(() => {});
      }
      return drained;
    },
    close() {
      // The abort signal makes Deno close every connection, busy or not.
      for (const { abort } of servers) abort.abort();
    },
  };
}

/**
 * Stops `sockets`, the listener of `server`, from accepting. Deno's accept loop then ends with
 * EINVAL, which rejects `server.finished` (a tick later, so the handler below is in time) without
 * closing a connection: that rejection is the expected one, and `shutdown()` still drains.
 */
function stopListening(server: DenoHttpServer, sockets: OpenSocket[]): void {
  const stopped = sockets.filter(stopAccepting);
  if (stopped.length > 0) server.finished.catch(() => {});
}
