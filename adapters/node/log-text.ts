/**
 * Request data in a log line, escaped so a client cannot forge lines.
 *
 * @module
 */

import type { IncomingMessage } from "node:http";

// Global and sticky-free: `replace` restarts it on every call.
const CONTROL = /[\x00-\x1f\x7f]/g;

/** `\n` as `\\n`, every other C0 control and DEL as `\xNN`, the rest as it is. */
export function escapeLogText(text: string): string {
  return text.replace(CONTROL, (c) => (c === "\n" ? "\\n" : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`));
}

/** `METHOD target` of a request, escaped, for a log line. */
export function describeRequest(request: Pick<IncomingMessage, "method" | "url">): string {
  return escapeLogText(`${request.method ?? "?"} ${request.url ?? "?"}`);
}
