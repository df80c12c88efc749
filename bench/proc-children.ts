/** Moved to src/bench/proc-children.ts, shared with `mgr bench`. @module */
export * from "../src/bench/proc-children.ts";
