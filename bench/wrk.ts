/**
 * wrk for the contributors' scripts (sched-bench.ts, sched-balance.ts): the runner and parser of
 * src/bench/wrk.ts, which `mgr bench` uses, with the CPU given as one number.
 *
 * @module
 */

import type { LoadResult } from "../src/bench/load-generator.ts";
import { runWrk as runWrkPinned } from "../src/bench/wrk.ts";

export { findWrk, parseWrkOutput } from "../src/bench/wrk.ts";

/** Runs `wrk -t1` pinned to `cpu` for `durationS` seconds. */
export function runWrk(options: { url: string; connections: number; durationS: number; cpu: number }): Promise<LoadResult> {
  return runWrkPinned({ url: options.url, connections: options.connections, durationS: options.durationS, cpus: String(options.cpu) });
}
