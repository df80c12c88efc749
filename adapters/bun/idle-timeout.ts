/**
 * Making Bun's `idleTimeout` bound idle keep-alive connections only, and never sooner than asked.
 *
 * Bun (uWebSockets underneath) closes a connection, silently, once it has read and written nothing
 * for `idleTimeout` seconds: while a handler works, while a response body streams with gaps and
 * while an upload pauses too, so a `--keepalive` of a few seconds cut an 8 s handler, an event stream
 * and a slow upload alike (measured on Bun 1.4.5). What can change it is `server.timeout(request,
 * seconds)`: it sets the bound of the request's connection, and only while that request is in
 * flight; the value then stays with the connection, for the idle time after the response too, until
 * it is set again.
 *
 * So: a request still in flight once Bun has taken the handler's answer (a handler awaiting
 * something, an upload, a body still streaming out: all the cases where time passes) gets 0, no
 * bound, from a sweep over the requests that arrived before. Bun calls the handler for one request at
 * a time and writes a Response that is ready at once before it calls the next, so the sweep runs at
 * the arrival of every 32nd request, and once a second for fewer: a Request lives no longer than it
 * would, and the hot path pays an array push. A handler's promise that settles gets the keep-alive
 * bound back before its Response goes to Bun, so the idle time after a response written at once is
 * bounded again; a response still streaming at the next sweep keeps 0 to its end (Bun has no hook at
 * the end of a stream, and finding out which responses stream would cost every response a body
 * stream), and its connection then has no idle bound until its next request, which restores it on
 * arrival (one more `server.timeout` call per request, ~15 ns, once any request has been found in
 * flight).
 *
 * @module
 */

import type { BunServer } from "./bun-api.ts";

/** What `Bun.serve` calls for each request. */
export type BunFetch = (request: Request, server: BunServer) => Response | Promise<Response>;

/** Bun's longest idle timeout, in seconds. */
export const MAX_IDLE_TIMEOUT_S = 255;
/** uSockets checks its timeouts on a tick of this many seconds. */
const TICK_S = 4;
/** Requests that arrive between two sweeps under load. */
const SWEEP_BATCH = 32;
/** How often the requests of a quieter time are swept, in ms: well within the shortest idle bound (4 s). */
const SWEEP_INTERVAL_MS = 1_000;

/**
 * `idleTimeout` for `Bun.serve` from `--keepalive`, in whole seconds; 0 means none. uSockets counts
 * a timeout of N seconds as ceil(N / 4) ticks of 4 s, the first of which may come at once, so N
 * closes an idle connection anywhere from N - 4 to N s after its last byte (measured: `idleTimeout:
 * 2` closed after 0.1 to 4.0 s, which races a client that reuses a connection within the
 * keep-alive it was promised). One tick more makes the close come between `keepalive` rounded up to
 * 4 s and 4 s later: never sooner than asked (with `--keepalive 5`: after 8 to 12 s).
 */
export function bunIdleTimeout(keepaliveMs: number): number {
  if (keepaliveMs === 0) return 0;
  const ticks = Math.ceil(keepaliveMs / 1000 / TICK_S) + 1;
  return Math.min(MAX_IDLE_TIMEOUT_S, (ticks - 1) * TICK_S + 1);
}

/**
 * Wraps `fetch` so that the `idleTimeout` of `seconds` (what `Bun.serve` was given) applies to idle
 * connections only, never to a request in flight. Use one wrapper per `Bun.serve`.
 *
 * @example
 * ```ts
 * const idleTimeout = bunIdleTimeout(options.keepaliveMs);
 * Bun.serve({ idleTimeout, fetch: idleTimeoutOnlyWhenIdle(fetch, idleTimeout), … });
 * ```
 */
export function idleTimeoutOnlyWhenIdle(fetch: BunFetch, seconds: number): BunFetch {
  // Bun never cuts anything: nothing to hold off.
  if (seconds === 0) return fetch;
  let arrived: Request[] = [];
  let server: BunServer | undefined;
  // Set once a sweep has found a request in flight: from then on some connection may have kept 0.
  let mayBeUnbounded = false;

  /** Gives 0 to the requests that arrived and are still in flight; `running` are in flight but not among them. */
  const sweep = (running: number) => {
    const requests = arrived;
    arrived = [];
    // With none in flight there is nothing to hold off (the common case under load: one getter call).
    if (server === undefined || server.pendingRequests <= running) return;
    mayBeUnbounded = true;
    // A request whose response is done is no longer Bun's: the call does nothing for it.
    for (const request of requests) server.timeout(request, 0);
  };
  // Unref'd: it must not keep a worker alive that has nothing else to do.
  setInterval(() => arrived.length > 0 && sweep(0), SWEEP_INTERVAL_MS).unref();

  return (request, bunServer) => {
    server = bunServer;
    // The one being handled now is in flight too, and not among them.
    if (arrived.length >= SWEEP_BATCH) sweep(1);
    // Its connection may come with 0 from a response that streamed: bounded again once it is idle.
    if (mayBeUnbounded) bunServer.timeout(request, seconds);
    arrived.push(request);
    const result = fetch(request, bunServer);
    if (typeof (result as Partial<Promise<Response>>).then !== "function") return result;
    return (result as Promise<Response>).then(
      (response) => {
        bunServer.timeout(request, seconds);
        // Swept once Bun has taken the response: still in flight then, it is streaming.
        arrived.push(request);
        return response;
      },
      (error: unknown) => {
        bunServer.timeout(request, seconds);
        throw error;
      },
    );
  };
}
