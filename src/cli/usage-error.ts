/**
 * The error for a command line or configuration mgr cannot act on.
 *
 * @module
 */

/** Printed as one line, `mgr: error: …`, with exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
