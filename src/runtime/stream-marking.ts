/**
 * Which responses have a streamed body, known for nothing per request: the worker replaces the global
 * `Response` with a subclass whose constructor remembers the instances made with a stream. Asking a
 * response for its headers (to find an event stream) costs 80-180 ns on Bun and Deno and builds a whole
 * second Response on Node (@hono/node-server's light one); the subclass costs 9 ns on Bun and 28 ns
 * on Deno per response made (measured in a loop), and the question is a WeakSet lookup.
 *
 * @module
 */

const streamed = new WeakSet<object>();
let installed = false;

/**
 * Makes `globalThis.Response` remember the responses made with a stream body, once per process. Call
 * it after the server has installed its own Response class (Node's @hono/node-server does, when its
 * listener is made) and before the first request: apps look `Response` up when they make one.
 */
export function markStreamedResponses(): void {
  if (installed) return;
  installed = true;
  const Base = globalThis.Response;
  // Named Response, so that it reads as the class it stands for in stack traces and `constructor.name`.
  const Response = class Response extends Base {
    constructor(body?: BodyInit | null, init?: ResponseInit) {
      super(body, init);
      if (typeof body === "object" && body !== null && typeof (body as { getReader?: unknown }).getReader === "function") {
        streamed.add(this);
      }
    }
  };
  Object.defineProperty(globalThis, "Response", { value: Response, writable: true, configurable: true });
}

/** True when `response` was made with a stream body (after {@linkcode markStreamedResponses}). */
export function hasStreamedBody(response: Response): boolean {
  return streamed.has(response);
}
