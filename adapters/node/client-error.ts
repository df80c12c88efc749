/**
 * What a `node:http` server answers to a request its parser refused, or to a head that came too
 * slowly, in place of Node's default (which answers no log line and 400 for most).
 *
 * @module
 */

/** How to answer one client error: the status (null: just close), and a line for the log (null: none). */
export interface ClientErrorAnswer {
  status: 400 | 408 | 413 | 431 | null;
  /** Says what the client did wrong; no request data (Node's own reason strings are fixed text). */
  reason: string | null;
}

/** The status line and headers for each answer: no body, and the connection is closed after it. */
export const CLIENT_ERROR_RESPONSES = {
  400: "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
  408: "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
  413: "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
  431: "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
} as const;

/**
 * Classifies an error that `node:http` emits as `clientError`: `HPE_*` from its parser (the client
 * sent what HTTP/1.1 forbids), `ERR_HTTP_REQUEST_TIMEOUT` (no complete head within
 * `headersTimeout`), and anything else, which is the socket failing under us (ECONNRESET, EPIPE, a
 * response destroyed with an error that was reported where it happened): closed without a word.
 *
 * @example
 * ```ts
 * classifyClientError(Object.assign(new Error("Parse Error"), { code: "HPE_INVALID_METHOD", reason: "Invalid method encountered" }));
 * // { status: 400, reason: "Invalid method encountered (HPE_INVALID_METHOD)" }
 * ```
 */
export function classifyClientError(error: { code?: unknown; reason?: unknown; message?: unknown }, headersTimeoutMs = 0): ClientErrorAnswer {
  const code = typeof error.code === "string" ? error.code : "";
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") {
    const bound = headersTimeoutMs > 0 ? ` within ${headersTimeoutMs / 1000} s` : "";
    return { status: 408, reason: `request head not received${bound}` };
  }
  if (!code.startsWith("HPE_")) return { status: null, reason: null };
  const detail = typeof error.reason === "string" && error.reason !== "" ? `${error.reason} (${code})` : code;
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return { status: 431, reason: `request head is too large: ${detail}` };
    case "HPE_INVALID_EOF_STATE":
      return { status: 400, reason: `client closed the connection in the middle of a request (${code})` };
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return { status: 413, reason: `chunk extensions are too large: ${detail}` };
    default:
      return { status: 400, reason: detail };
  }
}
