/**
 * Serving a fetch handler with `Bun.serve`, one SO_REUSEPORT listener per address, with a drain that
 * loses no request, behind mgr's HTTP edge: the head limits Bun lacks are checked from the URL (the
 * head's byte bound is the worker's `--max-http-header-size`, see spawn.ts), the body limit is Bun's
 * own, and `--keepalive` bounds idle connections only.
 *
 * @module
 */

import type { FetchHandler } from "../../src/runtime/app.ts";
import { isFdAddress, isUnixAddress } from "../../src/core/protocol.ts";
import { closeConnectionsWhileDraining } from "../../src/runtime/connection-close.ts";
import { INHERITED_SOCKETS_UNSUPPORTED, ListenError, UNIX_SOCKETS_UNSUPPORTED } from "../../src/runtime/worker-host.ts";
import type { ServeOptions, WorkerServer } from "../../src/runtime/worker-host.ts";
import { describeListenError } from "../../src/runtime/check-listen.ts";
import { DRAIN_IDLE_GRACE_MS } from "../../src/runtime/drain-grace.ts";
import type { BunGlobal, BunListenError, BunServer } from "./bun-api.ts";
import { refuseBadHeads } from "./head-check.ts";
import { bunMaxRequestBodySize } from "./head-limits.ts";
import { bunIdleTimeout, idleTimeoutOnlyWhenIdle } from "./idle-timeout.ts";
import { bunWebSocketHandlers, countingWebSockets } from "./websocket.ts";

declare const Bun: Pick<BunGlobal, "serve">;

/** Serves `handler` on every address of `options.bind`; rejects with a {@linkcode ListenError}. */
export function serveBun(handler: FetchHandler, options: ServeOptions): Promise<WorkerServer> {
  let draining = false;
  let drained: Promise<void> | undefined;

  // The server goes to the app as the second argument, as under `Bun.serve` itself (Hono's
  // getConnInfo reads the client address through it).
  const fetch = closeConnectionsWhileDraining(handler, () => draining);
  const { edge, logClientError, logAppError } = options;

  // `options.backlog` cannot be honoured: Bun.serve has no such option and listens with a backlog of
  // 512 (uSockets' fixed value, seen with `ss -ltn` on Bun 1.4.5). Nor can `edge.headersTimeoutMs`:
  // uWebSockets gives a new connection 10 s (HTTP_IDLE_TIMEOUT_S) to complete its first head, closed
  // after 8-12 s without an answer whatever Bun.serve is told, and Bun shows no connection before its
  // request; a later head on a kept-alive connection has the keep-alive bound.
  const idleTimeout = bunIdleTimeout(options.keepaliveMs);
  const maxRequestBodySize = bunMaxRequestBodySize(edge.limitRequestBody);
  // Bun calls it for what a handler throws, which the worker loop catches before: what is left is a
  // fault of the server's own code. Without it Bun prints the error and a code frame to stderr.
  const onError = (failure: unknown): Response => {
    logAppError(`Error serving a request: ${failure instanceof Error ? failure.stack ?? failure.message : String(failure)}`);
    return new Response("Internal Server Error", { status: 500, headers: { "content-type": "text/plain" } });
  };
  const handlers = bunWebSocketHandlers(options.websocket);
  if (typeof handlers === "string") logAppError(`Cannot serve WebSockets: ${handlers}`);
  const websocket = typeof handlers === "object" ? countingWebSockets(handlers, options.longLived, edge) : undefined;
  const servers: BunServer[] = [];
  for (const address of options.bind) {
    if (isUnixAddress(address)) {
      for (const server of servers) void server.stop(true);
      return Promise.reject(new ListenError(address, UNIX_SOCKETS_UNSUPPORTED));
    }
    if (isFdAddress(address)) {
      for (const server of servers) void server.stop(true);
      return Promise.reject(new ListenError(address, INHERITED_SOCKETS_UNSUPPORTED));
    }
    const { host, port } = address;
    try {
      // One idle guard per server: it sweeps that server's requests.
      const guarded = refuseBadHeads(idleTimeoutOnlyWhenIdle(fetch, idleTimeout), edge, logClientError);
      servers.push(Bun.serve({
        hostname: host,
        port,
        reusePort: true,
        idleTimeout,
        maxRequestBodySize,
        development: false,
        fetch: guarded,
        error: onError,
        ...(websocket && { websocket }),
      }));
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

