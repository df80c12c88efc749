/**
 * The body stall bound (`--body-timeout`) enforced by the socket itself: while a request's body is
 * incomplete, its socket carries a timeout, which Node re-arms on every read at no cost to the
 * request path. mgr's shared body guard would do the same by wrapping the body, but on Node that
 * costs ~15 µs per request with a body (@hono/node-server's lightweight request slows down once
 * changed, measured); this costs one timer per such request.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { BodyTimeoutError } from "../../src/runtime/body-guard.ts";
import type { BodyFault } from "../../src/runtime/body-guard.ts";
import { seal } from "./edge-response.ts";

const STALLED = Symbol("mgr.body-stalled");
type Marked = IncomingMessage & { [STALLED]?: true };

const REQUEST_TIMEOUT_BODY = "Request Timeout";

/** True when `request` announces a body: a non-zero Content-Length, or any Transfer-Encoding. */
export function announcesBody(request: IncomingMessage): boolean {
  const headers = request.headers;
  if (headers["transfer-encoding"] !== undefined) return true;
  const length = headers["content-length"];
  return length !== undefined && length !== "0";
}

/**
 * Bounds the stalls of `request`'s body to `timeoutMs`: when no byte of it arrives for that long, the
 * client is answered 408 with `Connection: close` (unless the response has begun), the response is
 * sealed so the app's late answer goes nowhere, and the body's read fails with a `BodyTimeoutError`,
 * which the worker loop logs and counts. Once the body is complete the socket has no timeout again,
 * unless Node has since set its own (keep-alive, after the response): that one is left alone.
 */
export function boundBodyStalls(request: IncomingMessage, response: ServerResponse, timeoutMs: number): void {
  request.setTimeout(timeoutMs, () => {
    (request as Marked)[STALLED] = true;
    if (!response.headersSent && !response.writableEnded) {
      response.writeHead(408, {
        connection: "close",
        "content-type": "text/plain; charset=utf-8",
        "content-length": REQUEST_TIMEOUT_BODY.length,
      });
      response.end(REQUEST_TIMEOUT_BODY);
      seal(response);
    }
    // The 408 is written through to the socket by now (a small write goes out at once); destroying
    // the request closes the connection, whose rest cannot be read as a request anyway.
    request.destroy(new BodyTimeoutError(timeoutMs));
  });
  request.once("end", () => {
    if (!response.writableFinished) request.socket?.setTimeout(0);
  });
}

/** `"stalled"` when {@linkcode boundBodyStalls} failed the body of the request that `info` carries. */
export function bodyStallOf(info: unknown): BodyFault | undefined {
  const incoming = (info as { incoming?: Marked } | undefined)?.incoming;
  return incoming?.[STALLED] ? "stalled" : undefined;
}
