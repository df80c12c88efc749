/**
 * Telling a client's fault from the app's: an error the app's body read threw because the client went
 * away or sent a malformed body is not a bug in the app, and is logged as one line at info, without a
 * stack, instead of an error.
 *
 * @module
 */

/**
 * True when `error` (or an error in its `cause` chain) is how a runtime fails a request body read
 * because of the client. Measured: a client that closes or resets the connection mid-body, or sends
 * an invalid chunk size, fails `await request.text()` with
 * - Node (`@hono/node-server`): `Error: aborted`, code `ECONNRESET`;
 * - Bun: `AbortError: The connection was closed.`;
 * - Deno: `BadResource: Cannot read body as underlying resource unavailable`, or `Http: unexpected EOF
 *   while reading HTTP/1 body` (Deno's `Deno.errors.Http`, `Deno.errors.ConnectionReset`).
 */
export function isClientFault(error: unknown): boolean {
  // @hono/node-server may wrap the body's error in a RequestError; nothing else is unwrapped, since
  // the cause of an app's failed outbound fetch can read like a client's fault.
  if (error instanceof Error && error.name === "RequestError" && error.cause !== undefined) error = error.cause;
  if (!(error instanceof Error)) return false;
  const { name, message } = error;
  switch (name) {
    case "Error":
      return message === "aborted";
    case "AbortError":
      return message.startsWith("The connection was closed");
    case "Http":
    case "BadResource":
    case "UnexpectedEof":
    case "ConnectionReset":
      return /body|EOF|connection/i.test(message);
    default:
      return false;
  }
}
