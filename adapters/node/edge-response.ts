/**
 * The `ServerResponse` a Node worker's server writes with: the same as Node's, except that a
 * response the app made wrong ends as a proper `500 Internal Server Error` (or a closed connection,
 * once its head has gone out) with the failure reported through mgr, never as what Node and
 * `@hono/node-server` do by themselves.
 *
 * What they do by themselves, measured: a header value with CR/LF or a status out of 100-999 (the
 * library's light Response checks neither) makes `writeHead` throw; for a Response returned
 * synchronously that rejects the request listener (an unhandled rejection: the worker dies), for one
 * returned asynchronously the library prints the stack and answers `500 OK` (the failed `writeHead`
 * left `statusMessage` at "OK") with the error's text as the body. A body stream that errors is
 * printed with `console.error` and its text appended to the body.
 *
 * @module
 */

import { type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders, ServerResponse } from "node:http";
import { honoFailurePending, takeHonoFailure } from "./hono-failures.ts";

/** Receives what went wrong writing a response, once per response: the app's fault. */
export type ResponseFaultReporter = (request: IncomingMessage, error: unknown) => void;

const BODY = "Internal Server Error";
const REPORTED = Symbol("mgr.response-fault-reported");
type Flagged = ServerResponse & { [REPORTED]?: true; _contentLength?: number | null };

/**
 * A `ServerResponse` class for `createServer({ ServerResponse })` that reports to `report`. The
 * hot path pays one check per `writeHead` and per `end`.
 */
export function edgeResponseClass(report: ResponseFaultReporter): typeof ServerResponse<IncomingMessage> {
  const reportOnce = (response: Flagged, error: unknown) => {
    if (response[REPORTED]) return;
    response[REPORTED] = true;
    report(response.req, error);
  };

  return class EdgeResponse extends ServerResponse {
    override writeHead(
      statusCode: number,
      reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[],
      headers?: OutgoingHttpHeaders | OutgoingHttpHeader[],
    ): this {
      // The library's error answer: `500` with the error's text. Ours instead, without it.
      if (honoFailurePending()) return this.#failWith(takeHonoFailure()!.error);
      try {
        return super.writeHead(statusCode, reason as string, headers);
      } catch (error) {
        return this.#failWith(error);
      }
    }

    override end(chunk?: unknown, encoding?: unknown, callback?: unknown): this {
      // The library appending the error's text to a body under way: the client must see it cut.
      if (honoFailurePending()) {
        reportOnce(this, takeHonoFailure()!.error);
        this.destroy();
        return this;
      }
      return super.end(chunk, encoding as BufferEncoding, callback as () => void);
    }

    override destroy(error?: Error): this {
      // The library destroys the response with the error its body stream failed with, and last
      // after printing one: what it printed is answered for, whatever this response could still send.
      if (honoFailurePending()) takeHonoFailure();
      if (error != null && !this.destroyed) reportOnce(this, error);
      return super.destroy(error);
    }

    #failWith(error: unknown): this {
      reportOnce(this, error);
      if (this.headersSent) {
        this.destroy();
        return this;
      }
      // A writeHead that threw may have set headers and statusMessage ("500 OK" otherwise).
      for (const name of this.getHeaderNames()) this.removeHeader(name);
      (this as Flagged)._contentLength = null;
      super.writeHead(500, BODY, { "content-type": "text/plain", "content-length": BODY.length });
      super.end(BODY);
      seal(this);
      return this;
    }
  };
}

/**
 * Makes every later write to `response` a no-op, so what its writer still sends (the app's body after
 * a failed head) goes nowhere. `write` answers false: a writer waits for a `drain` that does not come,
 * until `close` tells it to stop, instead of pulling an endless stream into nothing.
 */
export function seal(response: ServerResponse): void {
  Object.assign(response, {
    writeHead: () => response,
    write: () => false,
    end: () => {
      // The library's error answer to a sealed response goes nowhere too; no other response may take it.
      takeHonoFailure();
      return response;
    },
    flushHeaders: () => {},
  });
}
