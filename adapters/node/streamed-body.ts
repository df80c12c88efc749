/**
 * Which responses have a streamed body, on Node, for nothing per request. @hono/node-server's light
 * Response keeps what it was made with under a symbol of its own (`[status, body, headers]`), which is
 * read here; replacing the global Response with a subclass, as Bun and Deno workers do
 * (src/runtime/stream-marking.ts), slows that class down by ~4% of a request (measured with bench/),
 * and asking it for `body` builds a whole second Response.
 *
 * @module
 */

/** The light Response's cache symbol, once a response has shown it; null after too many without. */
let cacheKey: symbol | null | undefined;
let lookups = 0;
const MAX_LOOKUPS = 16;

type Cached = Response & Record<symbol, [number, unknown, unknown] | undefined>;

/** True when `response` was made with a stream body. */
export function nodeHasStreamedBody(response: Response): boolean {
  if (cacheKey === undefined && lookups++ < MAX_LOOKUPS) {
    cacheKey = Object.getOwnPropertySymbols(response).find((symbol) => symbol.description === "cache");
    if (cacheKey === undefined && lookups >= MAX_LOOKUPS) cacheKey = null;
  }
  const cache = cacheKey ? (response as Cached)[cacheKey] : undefined;
  // Not the light class, or one made from something else: its body tells (a rare path).
  return isStream(cache !== undefined ? cache[1] : response.body);
}

function isStream(body: unknown): boolean {
  return typeof body === "object" && body !== null && typeof (body as { getReader?: unknown }).getReader === "function";
}
