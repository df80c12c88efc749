/**
 * How an app learns who a request came from, the same way on Node, Bun and Deno: its address and
 * scheme, as the peer tells them or, when the peer is a trusted proxy (`--forwarded-allow-ips`), as
 * that proxy forwards them in `X-Forwarded-For`, `X-Forwarded-Proto` or `Forwarded`.
 *
 * The app's module and mgr's worker may hold two copies of this module (the app imports the package,
 * the worker runs its own files), so the worker's resolver is found through a global registered
 * symbol, not a module variable.
 *
 * @module
 */

import type { ClientResolver, ResolvedClient } from "./client-resolver.ts";

const RESOLVER = Symbol.for("mgr.clientResolver");

type Registry = { [RESOLVER]?: ClientResolver };

/** Makes `resolver` the one {@linkcode getClientInfo} asks, for the life of this worker. */
export function registerClientResolver(resolver: ClientResolver): void {
  (globalThis as Registry)[RESOLVER] = resolver;
}

/**
 * The client of `request`: `{ address, scheme, httpVersion }`. Pass the second argument the fetch
 * handler was called with (`c.env` in Hono), which carries the runtime's connection. Forwarded headers
 * are believed only from peers in `--forwarded-allow-ips`; from any other peer they are ignored, so
 * read the client here rather than from the headers themselves. Worked out when called, so a request
 * whose app never asks costs nothing. Outside an mgr worker, the address is unknown.
 *
 * @example
 * ```ts
 * import { getClientInfo } from "mgr";
 * export default {
 *   fetch(request: Request, info: unknown) {
 *     const { address, scheme } = getClientInfo(request, info);
 *     return new Response(`${address} over ${scheme}`);
 *   },
 * };
 * ```
 */
export function getClientInfo(request: Request, info?: unknown): ResolvedClient {
  const resolver = (globalThis as Registry)[RESOLVER];
  if (resolver) return resolver(request, info);
  return { scheme: request.url.startsWith("https:") ? "https" : "http" };
}
