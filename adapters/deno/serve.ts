/**
 * Serving a fetch handler with `Deno.serve`, one SO_REUSEPORT listener per address, with a drain
 * that loses no request.
 *
 * `Deno.serve` shows requests, not connections, and its one way to stop accepting, `shutdown()`,
 * also closes at once every connection that is not in the middle of a request (measured: the FIN
 * leaves within a millisecond): an idle keep-alive connection, racing its client's next request, and
 * a connection accepted an instant before, whose first request has not been read yet. Nor does
 * Deno's HTTP/1.1 server close a connection after a response that says `Connection: close`: it
 * sends the header as is and leaves the closing to the client, which every HTTP/1.1 client does.
 *
 * So the drain stops the listeners from accepting first, with `shutdown(2)` on their sockets (see
 * listening-socket.ts; the kernel hands their queued connections to the other workers), and marks
 * every response from then on `Connection: close`, so busy clients close their connections
 * themselves after their next response. After a short grace, in which the connections accepted last
 * send their first request, `server.shutdown()` closes the connections that stayed idle all along
 * and waits for the requests in flight. Measured with bench/recycle-loss.ts (2 workers recycling
 * every 300 requests): calling `shutdown()` alone after the grace lost 1.2 requests per swap to
 * clients that open a connection per request, and 0.03 to keep-alive clients; see BENCHMARKS.md for
 * this drain's figures. Where the socket cannot be stopped (no `/proc`, no glibc), the drain goes on
 * without it and loses what `shutdown()` alone loses.
 *
 * @module
 */

import type { FetchHandler } from "../../src/runtime/app.ts";
import { isUnixAddress } from "../../src/core/protocol.ts";
import { closeConnectionsWhileDraining } from "../../src/runtime/connection-close.ts";
import { ListenError, UNIX_SOCKETS_UNSUPPORTED } from "../../src/runtime/worker-host.ts";
import type { ServeOptions, WorkerServer } from "../../src/runtime/worker-host.ts";
import { describeListenError } from "../../src/runtime/check-listen.ts";
import { DRAIN_IDLE_GRACE_MS } from "../../src/runtime/drain-grace.ts";
import { Deno } from "./deno-api.ts";
import type { DenoHttpServer } from "./deno-api.ts";
import { findNewSockets, findOpenSockets, stopAccepting } from "./listening-socket.ts";
import type { OpenSocket } from "./listening-socket.ts";

/**
 * Serves `handler` on every address of `options.bind`; rejects with a {@linkcode ListenError}.
 *
 * `options.keepaliveMs` has no effect: `Deno.serve` has no idle timeout to set, and keeps a
 * keep-alive connection open until the client closes it.
 */
export async function serveDeno(handler: FetchHandler, options: ServeOptions): Promise<WorkerServer> {
  let draining = false;
  let drained: Promise<void> | undefined;
  const serveHandler = closeConnectionsWhileDraining(handler, () => draining);

  const servers: { server: DenoHttpServer; abort: AbortController; sockets: OpenSocket[] }[] = [];
  for (const address of options.bind) {
    const abort = new AbortController();
    if (isUnixAddress(address)) {
      for (const { abort } of servers) abort.abort();
      throw new ListenError(address, UNIX_SOCKETS_UNSUPPORTED);
    }
    try {
      // Deno.serve listens before it returns: the socket that appears meanwhile is its listener.
      const before = findOpenSockets();
      const server = Deno.serve({
        hostname: address.host,
        port: address.port,
        // Every worker listens on the port itself and the kernel spreads connections across them.
        reusePort: true,
        tcpBacklog: options.backlog,
        signal: abort.signal,
        // Silences Deno's own "Listening on" line: the master logs its addresses once.
        onListen: () => {},
        handler: serveHandler,
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
        drained = new Promise<void>((resolve) => setTimeout(resolve, DRAIN_IDLE_GRACE_MS))
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
