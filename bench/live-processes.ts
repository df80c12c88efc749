/** Moved to src/bench/live-processes.ts, shared with `mgr bench`. @module */
export * from "../src/bench/live-processes.ts";
