/** Moved to src/bench/free-port.ts, shared with `mgr bench`. @module */
export * from "../src/bench/free-port.ts";
