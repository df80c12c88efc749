/**
 * Telling clients to close, for servers whose drain closes idle connections itself (Bun's stop(),
 * Deno's shutdown()): from the moment a drain begins, every response carries `Connection: close`, so
 * a busy keep-alive client reconnects (to another worker) instead of racing the close.
 *
 * @module
 */

import type { FetchHandler } from "./app.ts";

/**
 * Wraps `handler` so that responses finished while `isDraining()` carry `Connection: close`. A
 * Response the handler returns synchronously goes back synchronously, so the server keeps its fast
 * path for it. Checked when the response is ready, not when the request came: a drain may begin
 * meanwhile.
 */
export function closeConnectionsWhileDraining(
  handler: FetchHandler,
  isDraining: () => boolean,
): (request: Request, info: unknown) => Response | Promise<Response> {
  return (request, info) => {
    const result = handler(request, info);
    if (typeof (result as Partial<Promise<Response>>).then !== "function") {
      return isDraining() ? withConnectionClose(result as Response) : (result as Response);
    }
    return (result as Promise<Response>).then((response) => (isDraining() ? withConnectionClose(response) : response));
  };
}

/** Tells the client to close the connection after `response`; copies it if its headers are immutable. */
export function withConnectionClose(response: Response): Response {
  // A WebSocket upgrade must go back to the server as the very object it made.
  if (response.status === 101) return response;
  try {
    response.headers.set("Connection", "close");
    return response;
  } catch {
    // Immutable headers, as on `Response.redirect()` or a proxied `fetch()` response.
    const copy = new Response(response.body, response);
    copy.headers.set("Connection", "close");
    return copy;
  }
}
