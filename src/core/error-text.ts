/**
 * How mgr turns a thrown value into text for its log and its errors: one home, so every message
 * reads the same whatever threw (an Error, a string, anything).
 *
 * @module
 */

/** The message of `error`, or the thrown value as a string. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The stack of `error` (which starts with its message), or its message, or the thrown value as a string. */
export function errorStack(error: unknown): string {
  return error instanceof Error ? error.stack ?? error.message : String(error);
}
