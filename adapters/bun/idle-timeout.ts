/**
 * Making Bun's `idleTimeout` bound idle keep-alive connections only.
 *
 * Bun (uWebSockets underneath) closes a connection, silently, once it has read and written nothing
 * for `idleTimeout` seconds, checked every 4 s or so: while a handler works, while a response body
 * streams with gaps and while an upload pauses too, so a `--keepalive` of a few seconds cut an 8 s
 * handler, an event stream and a slow upload alike (measured on Bun 1.4.5). What can change it is
 * `server.timeout(request, seconds)`: it sets the bound of the request's connection, and only while
 * that request is in flight; the value then stays with the connection, for the idle time after the
 * response too, until it is set again.
 *
 * So: a request still in flight a moment after it arrived (a handler awaiting something, an upload,
 * a body still streaming out: all the cases where time passes) gets 0, no bound, from a sweep that
 * runs once per turn of the event loop over the requests of that turn. A handler's promise that
 * settles gets the keep-alive bound back before its Response goes to Bun, so the idle time after a
 * response that is written at once is bounded again; a response still streaming at the next sweep
 * keeps 0 to its end (Bun gives no hook at the end of a stream, and finding out which responses
 * stream would cost every response a body stream), and its connection then has no idle bound until
 * its next request, which restores it on arrival. A response written at once, the common case, pays
 * one array push and, once any request has been found in flight, one `server.timeout` call: ~15 ns.
 *
 * @module
 */

import type { BunServer } from "./bun-api.ts";

/** What `Bun.serve` calls for each request. */
export type BunFetch = (request: Request, server: BunServer) => Response | Promise<Response>;

/** Bun's longest idle timeout, in seconds. */
export const MAX_IDLE_TIMEOUT_S = 255;

/** `idleTimeout` for `Bun.serve` from `--keepalive`: whole seconds, at most 255; 0 means none. */
export function bunIdleTimeout(keepaliveMs: number): number {
  return keepaliveMs === 0 ? 0 : Math.min(MAX_IDLE_TIMEOUT_S, Math.ceil(keepaliveMs / 1000));
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

  const sweep = () => {
    const requests = arrived;
    arrived = [];
    // Responses written at once are gone by now: with none in flight there is nothing to hold off.
    if (server === undefined || server.pendingRequests === 0) return;
    mayBeUnbounded = true;
    // A request whose response is done is no longer Bun's: the call does nothing for it.
    for (const request of requests) server.timeout(request, 0);
  };
  const watch = (request: Request) => {
    if (arrived.push(request) === 1) setImmediate(sweep);
  };
  const rearm = (request: Request) => server!.timeout(request, seconds);

  return (request, bunServer) => {
    server = bunServer;
    // Its connection may come with 0 from a response that streamed: bounded again once it is idle.
    if (mayBeUnbounded) bunServer.timeout(request, seconds);
    watch(request);
    const result = fetch(request, bunServer);
    if (typeof (result as Partial<Promise<Response>>).then !== "function") return result;
    return (result as Promise<Response>).then(
      (response) => {
        rearm(request);
        // After Bun has taken the response: still in flight then, it is streaming.
        watch(request);
        return response;
      },
      (error: unknown) => {
        rearm(request);
        throw error;
      },
    );
  };
}
