/**
 * The request head limits (Gunicorn's `limit_request_line`, `limit_request_fields`,
 * `limit_request_field_size`) on Bun, where reading the head costs: `request.url` is built once
 * and read by every app anyway, but the first touch of `request.headers` builds the Headers object,
 * 0.4 µs with one field and 1.1 µs with six (measured on Bun 1.4.5), a tenth of a hello-world request.
 * So the head is judged from what is free:
 *
 * - one field: Bun's only byte bound is on the whole head (`--max-http-header-size`, answered 431
 *   and closed by Bun itself); mgr sets it so that no head can carry a field over the limit;
 * - the request line and the Host field, from `request.url` (Bun builds it as `http://` + Host +
 *   target), only when the URL is long enough to break a limit;
 * - the number of fields: Bun's own fixed cap, 198 (431 and closed); counting in JS would need the
 *   Headers object.
 *
 * @module
 */

import type { HttpEdge } from "../../src/core/protocol.ts";

/** The most bytes of a request head a Bun worker takes, whatever the limits allow (over it: 431). */
export const MAX_HEAD_BYTES = 1024 * 1024;

/** The most header fields Bun takes in one head, fixed in Bun (1.4.5: 198 fine, 199 get 431). */
export const BUN_MAX_FIELDS = 198;

/** The head limits, in bytes and fields; 0 means unlimited. */
export type HeadLimits = Pick<HttpEdge, "limitRequestLine" | "limitRequestFields" | "limitRequestFieldSize">;

/** A head the edge refuses: the status to answer and one line for the log (no request data in it). */
export interface HeadRejection {
  status: 400 | 414 | 431;
  reason: string;
}

/**
 * The shortest head that can carry one field besides Host, less the field: `GET / HTTP/1.1` (every
 * method `Bun.serve` routes has at least 3 letters), `Host: a`, three CRLFs and the blank line.
 */
const HEAD_AROUND_ONE_FIELD = "GET / HTTP/1.1\r\nHost: a\r\n\r\n\r\n".length;
/** The shortest head around a request line: CRLF, `Host: a` and its CRLF, the blank line. */
const HEAD_AROUND_REQUEST_LINE = "\r\nHost: a\r\n\r\n".length;
/** `SP` twice, `HTTP/x.y`: what `METHOD SP target SP HTTP/x.y` adds to the method and the target. */
const REQUEST_LINE_OVERHEAD = 10;
/** The longest method `Bun.serve` routes (`UNSUBSCRIBE`): it closes the connection on any other. */
const LONGEST_METHOD = 11;
/** `http://`, where the Host value begins in the URL Bun builds. */
const SCHEME = "http://".length;
/** `Host: `, what the field adds to its value. */
const HOST_FIELD_OVERHEAD = "Host: ".length;

/**
 * `--max-http-header-size` for Bun workers: the whole head may hold the longest request line the
 * limits allow, or one field at `limitRequestFieldSize` with the shortest request line and Host,
 * whichever is longer. So any field over the limit makes the head too large and Bun answers 431
 * (exactly, for a field other than Host, while `limitRequestLine` does not set the bound; an
 * oversized Host is caught from the URL). The price, against Gunicorn: a head of several fields,
 * each within the limit, is refused once it is longer than this (8,219 bytes with the defaults).
 * A limit of 0 stands for {@linkcode MAX_HEAD_BYTES}, the cap of the result.
 */
export function bunMaxHeaderSize(limits: HeadLimits): number {
  const { limitRequestLine: line, limitRequestFieldSize: field } = limits;
  if (line === 0 || field === 0) return MAX_HEAD_BYTES;
  return Math.min(MAX_HEAD_BYTES, Math.max(field + HEAD_AROUND_ONE_FIELD, line + HEAD_AROUND_REQUEST_LINE));
}

/**
 * The longest `request.url` that cannot break the request-line or the Host-field limit, whatever
 * the method: the exact check ({@linkcode checkUrl}) runs only for longer ones.
 */
export function urlCheckThreshold(limits: HeadLimits): number {
  const { limitRequestLine: line, limitRequestFieldSize: field } = limits;
  // The target is at most the URL less `http://` and a one-character host.
  const forLine = line === 0 ? Infinity : line - REQUEST_LINE_OVERHEAD - LONGEST_METHOD + SCHEME + 1;
  // The Host value is at most the URL less `http://` and the target's leading `/`.
  const forHost = field === 0 ? Infinity : field - HOST_FIELD_OVERHEAD + SCHEME + 1;
  return Math.min(forLine, forHost);
}

/**
 * Checks the request line and the Host field of a request whose absolute `url` Bun built from
 * them. Returns undefined when both are within the limits.
 *
 * @example
 * ```ts
 * checkUrl(`http://a/${"x".repeat(5000)}`, "GET", { limitRequestLine: 4094, limitRequestFields: 100, limitRequestFieldSize: 8190 });
 * // { status: 414, reason: "request line is too large (5014 > 4094 bytes)" }
 * ```
 */
export function checkUrl(url: string, method: string, limits: HeadLimits): HeadRejection | undefined {
  const targetStart = url.indexOf("/", SCHEME);
  // No target: not a URL Bun builds; the missing-Host check refuses those before.
  if (targetStart === -1) return undefined;
  const lineLimit = limits.limitRequestLine;
  if (lineLimit > 0) {
    const line = method.length + (url.length - targetStart) + REQUEST_LINE_OVERHEAD;
    if (line > lineLimit) return { status: 414, reason: `request line is too large (${line} > ${lineLimit} bytes)` };
  }
  const sizeLimit = limits.limitRequestFieldSize;
  if (sizeLimit > 0) {
    const size = HOST_FIELD_OVERHEAD + targetStart - SCHEME;
    if (size > sizeLimit) return { status: 431, reason: `header field Host is too large (${size} > ${sizeLimit} bytes)` };
  }
  return undefined;
}

/**
 * `maxRequestBodySize` for `Bun.serve`: the limit, or for none (0) the largest Content-Length Bun
 * can take, since Bun's own default is 128 MiB and 0 would refuse every body (measured: Bun answers
 * 413 itself, for a Content-Length and for a chunked body alike, and closes).
 */
export function bunMaxRequestBodySize(limitRequestBody: number): number {
  return limitRequestBody === 0 ? Number.MAX_SAFE_INTEGER : limitRequestBody;
}
