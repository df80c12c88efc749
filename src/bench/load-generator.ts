/**
 * The load generator: wrk when it is on the PATH (C, one thread, the lightest on the CPU it shares
 * with nothing), otherwise autocannon from npm, run as a child so that its own CPU time is measured
 * the same way.
 *
 * @module
 */

import { BenchError } from "./bench-error.ts";
import { findAutocannon, runAutocannon } from "./autocannon.ts";
import { findWrk, runWrk } from "./wrk.ts";
import type { LoadOptions, LoadResult } from "./load-run.ts";

export type { LoadOptions, LoadResult } from "./load-run.ts";

/** A load generator found on this machine. */
export interface LoadGenerator {
  name: "wrk" | "autocannon";
  /** Its version line, for the report. */
  version: string;
  run(options: LoadOptions): Promise<LoadResult>;
}

/** `--load`: which load generator to use; `auto` takes wrk when it is installed. */
export type LoadChoice = "auto" | "wrk" | "autocannon";
export const LOAD_CHOICES: readonly LoadChoice[] = ["auto", "wrk", "autocannon"];

/** The one line printed when wrk is asked for and missing. */
export const WRK_MISSING = "wrk is not installed; install it (`apt-get install -y wrk` on Debian/Ubuntu), or pass --load autocannon";

/**
 * The load generator to use.
 *
 * @throws {BenchError} when the one asked for is missing, or neither is.
 */
export function findLoadGenerator(choice: LoadChoice): LoadGenerator {
  const wrk = choice === "autocannon" ? undefined : findWrk();
  if (wrk) return { name: "wrk", version: wrk, run: runWrk };
  if (choice === "wrk") throw new BenchError(WRK_MISSING);
  const autocannon = findAutocannon();
  if (autocannon) return { name: "autocannon", version: `autocannon ${autocannon.version}`, run: (options) => runAutocannon(autocannon.script, options) };
  throw new BenchError("no load generator: wrk is not on the PATH and autocannon is not installed; install wrk (`apt-get install -y wrk`) or run `npm install autocannon`");
}
