/**
 * What a Deno worker's server does with an error Deno hands it (`onError`) instead of printing it.
 *
 * With mgr's request path in front of the app, Deno calls `onError` for what happens after the
 * handler has answered: a response body stream that fails (the app's fault, logged at error with its
 * stack), or one cut short because the client went away (its fault, one line at info). Deno's own
 * `onError` prints the stack to standard error, outside mgr's log.
 *
 * @module
 */

import { errorStack } from "../../src/core/error-text.ts";
import { isClientFault } from "../../src/runtime/client-fault.ts";
import type { ServeOptions } from "../../src/runtime/worker-host.ts";

/** An `onError` for `Deno.serve` and `serveHttpOnConnection` that logs through `options`' loggers and answers 500. */
export function serveErrorHandler(options: Pick<ServeOptions, "logClientError" | "logAppError">): (error: unknown) => Response {
  return (error) => {
    if (isClientFault(error)) options.logClientError(`Connection lost while serving a response: ${String(error)}`);
    else options.logAppError(`Error serving a response: ${errorStack(error)}`);
    return new Response("Internal Server Error", { status: 500, headers: { "content-type": "text/plain" } });
  };
}
