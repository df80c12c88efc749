/**
 * Serving a fetch handler with `Bun.serve`, one SO_REUSEPORT listener per address, with a drain that
 * loses no request.
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
import type { BunGlobal, BunListenError, BunServer } from "./bun-api.ts";

declare const Bun: Pick<BunGlobal, "serve">;

/** Bun's longest idle timeout, in seconds. */
const MAX_IDLE_TIMEOUT_S = 255;

/** Serves `handler` on every address of `options.bind`; rejects with a {@linkcode ListenError}. */
export function serveBun(handler: FetchHandler, options: ServeOptions): Promise<WorkerServer> {
  let draining = false;
  let drained: Promise<void> | undefined;

  // The server goes to the app as the second argument, as under `Bun.serve` itself (Hono's
  // getConnInfo reads the client address through it).
  const fetch = closeConnectionsWhileDraining(handler, () => draining);

  // `options.backlog` cannot be honoured: Bun.serve has no such option and listens with a backlog of
  // 512 (uSockets' fixed value, seen with `ss -ltn` on Bun 1.4.5).
  const idleTimeout = options.keepaliveMs === 0 ? 0 : Math.min(MAX_IDLE_TIMEOUT_S, Math.ceil(options.keepaliveMs / 1000));
  const servers: BunServer[] = [];
  for (const address of options.bind) {
    if (isUnixAddress(address)) {
      for (const server of servers) void server.stop(true);
      return Promise.reject(new ListenError(address, UNIX_SOCKETS_UNSUPPORTED));
    }
    const { host, port } = address;
    try {
      servers.push(Bun.serve({ hostname: host, port, reusePort: true, idleTimeout, development: false, fetch }));
    } catch (error) {
      for (const server of servers) void server.stop(true);
      const reason = describeListenError(error as BunListenError);
      return Promise.reject(new ListenError({ host, port }, reason));
    }
  }

  return Promise.resolve({
    drain() {
      draining = true;
      // Bun has no way to stop accepting without also closing idle keep-alive connections: `stop()`
      // does both at once (measured on Bun 1.4.5), which races a busy client's next request on such
      // a connection and resets it unserved. So `Connection: close` comes first: during the grace
      // the worker keeps listening while a busy client sends that request, is answered and told to
      // close, and reconnects, to another worker or, answered the same way, to this one; `stop()`
      // then finds only connections that stayed idle all along.
      // stop() (never stop(true)) closes the listeners, where tcp_migrate_req hands the queued
      // connections to another worker, closes the idle connections, lets in-flight requests finish
      // (closing their connections after the response), and resolves when the last one is gone.
      drained ??= new Promise<void>((resolve) => setTimeout(resolve, DRAIN_IDLE_GRACE_MS))
        .then(() => Promise.all(servers.map((server) => server.stop())))
        .then(() => {});
      return drained;
    },
    close() {
      for (const server of servers) void server.stop(true);
    },
  });
}

