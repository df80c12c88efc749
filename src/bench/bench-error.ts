/**
 * A benchmark that cannot go on: an app that does not load, a path that does not answer 2xx, no
 * runtime or load generator to run. Printed as one line, `mgr: error: …`.
 *
 * @module
 */

/** A failure found while benchmarking; its message names the problem and the fix, on one line. */
export class BenchError extends Error {
  override name = "BenchError";
  /** True when the command line is at fault (exit 2), false for a failure found while running (exit 1). */
  readonly usage: boolean;

  constructor(message: string, options: { usage?: boolean } = {}) {
    super(message);
    this.usage = options.usage ?? false;
  }
}
