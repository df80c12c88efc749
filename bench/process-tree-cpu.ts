/** Moved to src/bench/process-tree-cpu.ts, shared with `mgr bench`. @module */
export * from "../src/bench/process-tree-cpu.ts";
