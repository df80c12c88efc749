/**
 * What @hono/node-server's light Response (the global one in a Node worker) was made with, read
 * without touching `body`: it keeps `[status, body, headers]` under a symbol described `cache` until
 * its body is read, and asking it for `body` would build a whole second Response. Private to that
 * library, so it is looked for by description, once, and given up after responses that lack it.
 *
 * @module
 */

let cacheKey: symbol | null | undefined;
let lookups = 0;
const MAX_LOOKUPS = 16;

type Cached = Response & Record<symbol, [number, unknown, unknown] | undefined>;

/**
 * The body `response` was made with (a string, bytes, a stream, null), boxed; undefined when it is
 * not the light class, or has been read already.
 */
export function honoCachedBody(response: Response): { body: unknown } | undefined {
  if (cacheKey === undefined && lookups++ < MAX_LOOKUPS) {
    cacheKey = Object.getOwnPropertySymbols(response).find((symbol) => symbol.description === "cache");
    if (cacheKey === undefined && lookups >= MAX_LOOKUPS) cacheKey = null;
  }
  const cache = cacheKey ? (response as Cached)[cacheKey] : undefined;
  return Array.isArray(cache) ? { body: cache[1] } : undefined;
}
