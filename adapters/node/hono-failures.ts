/**
 * Keeping `@hono/node-server`'s own error reporting out of the worker's output. When writing a
 * response fails (the app's body stream errors, say), its `handleResponseError` prints the error with
 * `console.error` (or `console.info("The user aborted a request.")`), then answers `500` with the
 * error's text as the body, or appends that text to a body already under way, and destroys the
 * response. It offers no option to change that, so mgr takes the call to `console` as the signal: the
 * line is dropped, and the response the library is about to write to knows, by
 * {@linkcode takeHonoFailure}, that what comes next is the library's error answer, not the app's.
 *
 * @module
 */

const NONE: unique symbol = Symbol("mgr.no-hono-failure");

/** The error the library has just printed, until the response it is failing consumes it. */
let failure: unknown = NONE;
let installed = false;

/** Where the library lives on disk: its frames in a stack trace contain this. */
const LIBRARY_PATH = "/@hono/node-server/";

/**
 * Makes `console.error` and `console.info` drop what `@hono/node-server` prints by itself, and
 * remember the error for {@linkcode takeHonoFailure}. Anything else printed goes through as before;
 * only a call with a single argument pays for a look at its caller. Idempotent.
 */
export function interceptHonoConsole(): void {
  if (installed) return;
  installed = true;
  const { error, info } = console;
  console.error = function interceptedError(this: Console, ...args: unknown[]) {
    if (args.length === 1 && isCalledFromLibrary(interceptedError)) return remember(args[0]);
    return error.apply(this, args);
  };
  console.info = function interceptedInfo(this: Console, ...args: unknown[]) {
    if (args.length === 1 && isCalledFromLibrary(interceptedInfo)) return;
    return info.apply(this, args);
  };
}

/**
 * The error `@hono/node-server` printed in this same synchronous run, if any, and forgets it: the
 * library's `handleResponseError` prints, then writes to the response at once.
 */
export function takeHonoFailure(): { error: unknown } | undefined {
  if (failure === NONE) return undefined;
  const error = failure;
  failure = NONE;
  return { error };
}

/** True while an error printed by the library waits to be taken: a cheap check for the hot path. */
export function honoFailurePending(): boolean {
  return failure !== NONE;
}

function remember(error: unknown): void {
  failure = error;
  // What the library does after printing runs synchronously; past that, nothing is its answer.
  queueMicrotask(() => {
    if (failure === error) failure = NONE;
  });
}

function isCalledFromLibrary(wrapper: (...args: unknown[]) => unknown): boolean {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, wrapper);
  Error.stackTraceLimit = limit;
  return holder.stack?.includes(LIBRARY_PATH) ?? false;
}
