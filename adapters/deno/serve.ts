/**
 * Serving a fetch handler with `Deno.serve`, one SO_REUSEPORT listener per address, with a drain
 * ordered around what `Deno.serve` allows.
 *
 * `Deno.serve` shows requests, not connections, and its one way to stop accepting, `shutdown()`,
 * also closes at once every connection that is not in the middle of a request (measured: the FIN
 * leaves within a millisecond), racing a keep-alive client's next request on it. Nor does Deno's
 * HTTP/1.1 server close a connection after a response that says `Connection: close`: it sends the
 * header as is and leaves the closing to the client, which every HTTP/1.1 client does. So the drain
 * marks first and shuts down later: every response from the drain on says `Connection: close`, so
 * busy clients close their connections themselves after their next response; after a short grace,
 * `shutdown()` stops accepting, closes the connections that stayed idle all along, and waits for the
 * requests in flight. Under keep-alive load this loses nothing, where calling `shutdown()` at once
 * reset about 30 requests per worker swap (wrk, 50 connections).
 *
 * What no order can save: `shutdown()` cancels the listener and the connections waiting for a
 * request in one step, so a connection accepted just before it, whose first request has not been
 * read yet, is closed unanswered, whatever `net.ipv4.tcp_migrate_req` says (that setting only moves
 * connections not yet accepted). Clients that open a connection per request therefore lose requests
 * at a swap in proportion to their connection rate: about 10 per swap at 9,000 connections a second.
 *
 * @module
 */

import type { FetchHandler } from "../../src/runtime/app.ts";
import { isUnixAddress } from "../../src/core/protocol.ts";
import { closeConnectionsWhileDraining } from "../../src/runtime/connection-close.ts";
import { ListenError, UNIX_SOCKETS_UNSUPPORTED } from "../../src/runtime/worker-host.ts";
import type { ServeOptions, WorkerServer } from "../../src/runtime/worker-host.ts";
import { describeListenError } from "../../src/runtime/check-listen.ts";
import { Deno } from "./deno-api.ts";
import type { DenoHttpServer } from "./deno-api.ts";

/**
 * How long a drain tells clients to close before it stops accepting and closes idle connections, in
 * milliseconds. A busy client sends its next request well within it and is answered with
 * `Connection: close`; only a connection idle for all of it is closed under the client.
 */
export const DRAIN_IDLE_GRACE_MS = 500;

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

  const servers: { server: DenoHttpServer; abort: AbortController }[] = [];
  for (const address of options.bind) {
    const abort = new AbortController();
    if (isUnixAddress(address)) {
      for (const { abort } of servers) abort.abort();
      throw new ListenError(address, UNIX_SOCKETS_UNSUPPORTED);
    }
    try {
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
      servers.push({ server, abort });
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

