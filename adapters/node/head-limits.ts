/**
 * The request head limits (Gunicorn's `limit_request_line`, `limit_request_fields`,
 * `limit_request_field_size`) checked on what `node:http` parsed, before any Request object is built.
 * Node has no bound of its own on the request line, on one field or (but by silent truncation) on the
 * number of fields: only one on the whole head, `maxHeaderSize`, which mgr sets from these limits.
 *
 * @module
 */

import type { HttpEdge } from "../../src/core/protocol.ts";

/** The most bytes of a request head Node buffers, whatever the limits allow (over it: 431). */
export const MAX_HEAD_BYTES = 1024 * 1024;

/** The part of a parsed request head the checks read: a slice of `IncomingMessage`. */
export interface ParsedHead {
  method?: string;
  url?: string;
  httpVersionMajor: number;
  httpVersionMinor: number;
  /** Names and values, alternating, as received. */
  rawHeaders: string[];
  headers: { host?: string };
}

/** A head the edge refuses: the status to answer and one line for the log (no request data in it). */
export interface HeadRejection {
  status: 400 | 414 | 431 | 505;
  reason: string;
}

/** The head limits, in bytes and fields; 0 means unlimited. */
export type HeadLimits = Pick<HttpEdge, "limitRequestLine" | "limitRequestFields" | "limitRequestFieldSize">;

/** `SP` twice, `HTTP/x.y`: what `METHOD SP target SP HTTP/x.y` adds to the method and the target. */
const REQUEST_LINE_OVERHEAD = 10;
/** Names come from Node's parser, which admits only token characters; still, a log line stays short. */
const MAX_NAME_IN_LOG = 64;

/**
 * `maxHeaderSize` for `node:http`: room for the longest head the limits allow (the request line and
 * every field at its largest, each with its CRLF, and the blank line), so that the limits, not Node,
 * decide; capped at {@linkcode MAX_HEAD_BYTES}, which also stands in for any limit that is 0. With
 * Gunicorn's defaults (4094, 100, 8190) that is 823,298 bytes.
 */
export function maxHeaderSizeFor(limits: HeadLimits): number {
  const { limitRequestLine: line, limitRequestFields: fields, limitRequestFieldSize: fieldSize } = limits;
  if (line === 0 || fields === 0 || fieldSize === 0) return MAX_HEAD_BYTES;
  return Math.min(MAX_HEAD_BYTES, line + 2 + fields * (fieldSize + 2) + 2);
}

/**
 * `server.maxHeadersCount` for `node:http`: one more than the limit, so a head with too many fields
 * keeps more than the limit in `rawHeaders` (Node cuts the rest silently, in batches of 32, never
 * below this count) and {@linkcode checkHead} sees it. 0 tells Node to keep every field.
 */
export function maxHeadersCountFor(limits: HeadLimits): number {
  return limits.limitRequestFields === 0 ? 0 : limits.limitRequestFields + 1;
}

/**
 * Checks a parsed head against the limits and what RFC 9112 requires that Node's parser lets
 * through: a version other than HTTP/1.0 or 1.1 (Node takes `GET /x` as HTTP/0.9 and accepts
 * `HTTP/2.0` in an HTTP/1 request line), and a missing Host. Returns undefined for a good head.
 * A few nanoseconds for a typical request: lengths and one pass over `rawHeaders`.
 *
 * @example
 * ```ts
 * const rejection = checkHead(request, edge);
 * if (rejection) answer(rejection.status);
 * ```
 */
export function checkHead(head: ParsedHead, limits: HeadLimits): HeadRejection | undefined {
  if (head.httpVersionMajor !== 1 || head.httpVersionMinor > 1) {
    return head.httpVersionMajor === 0
      ? { status: 400, reason: "request line has no HTTP version" }
      : { status: 505, reason: `HTTP version ${head.httpVersionMajor}.${head.httpVersionMinor} is not supported` };
  }
  const lineLimit = limits.limitRequestLine;
  if (lineLimit > 0) {
    const line = (head.method?.length ?? 0) + (head.url?.length ?? 0) + REQUEST_LINE_OVERHEAD;
    if (line > lineLimit) return { status: 414, reason: `request line is too large (${line} > ${lineLimit} bytes)` };
  }
  const raw = head.rawHeaders;
  const fieldsLimit = limits.limitRequestFields;
  if (fieldsLimit > 0 && raw.length > 2 * fieldsLimit) {
    return { status: 431, reason: `too many header fields (more than ${fieldsLimit})` };
  }
  const sizeLimit = limits.limitRequestFieldSize;
  if (sizeLimit > 0) {
    for (let i = 0; i < raw.length; i += 2) {
      const size = raw[i]!.length + 2 + raw[i + 1]!.length;
      if (size > sizeLimit) {
        const name = raw[i]!.slice(0, MAX_NAME_IN_LOG);
        return { status: 431, reason: `header field ${name} is too large (${size} > ${sizeLimit} bytes)` };
      }
    }
  }
  if (head.headers.host === undefined) return { status: 400, reason: "no Host header" };
  return undefined;
}

/** Fields a trailer must not carry (RFC 9110 §6.5.1): framing and routing. Lower case. */
const FORBIDDEN_IN_TRAILERS = new Set(["host", "content-length", "transfer-encoding"]);

/**
 * The first field of `rawTrailers` that RFC 9110 forbids in a trailer (Node's parser accepts Host
 * there), or undefined.
 */
export function forbiddenTrailer(rawTrailers: string[]): string | undefined {
  for (let i = 0; i < rawTrailers.length; i += 2) {
    const name = rawTrailers[i]!.toLowerCase();
    if (FORBIDDEN_IN_TRAILERS.has(name)) return name;
  }
  return undefined;
}
