/**
 * Which responses have a streamed body, on Node, for nothing per request: @hono/node-server's light
 * Response says what it was made with (src/runtime/hono-response-cache.ts). Replacing the global
 * Response with a subclass, as Bun and Deno workers do (src/runtime/stream-marking.ts), slows that
 * class down by ~4% of a request (measured with bench/), and asking it for `body` builds a whole
 * second Response.
 *
 * @module
 */

import { honoCachedBody } from "../../src/runtime/hono-response-cache.ts";

/** True when `response` was made with a stream body. */
export function nodeHasStreamedBody(response: Response): boolean {
  // Not the light class, or one made from something else: its body tells (a rare path).
  return isStream((honoCachedBody(response) ?? response).body);
}

function isStream(body: unknown): boolean {
  return typeof body === "object" && body !== null && typeof (body as { getReader?: unknown }).getReader === "function";
}
