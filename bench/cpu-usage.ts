/** Moved to src/bench/cpu-usage.ts, shared with `mgr bench`. @module */
export * from "../src/bench/cpu-usage.ts";
