/**
 * The runtimes of the contributors' scripts (chaos.ts, recycle-loss.ts) and where their executables
 * are. The setups `npm run bench` measures are src/bench/setups.ts, shared with `mgr bench`.
 *
 * @module
 */

import { join } from "node:path";
import { RUNTIMES } from "../src/bench/runtimes.ts";
import type { RuntimeName } from "../src/bench/runtimes.ts";

export { RUNTIMES };
export type Runtime = RuntimeName;

/**
 * The executable of each runtime: Node is the one running the script; Bun and Deno are the
 * project's devDependencies (`npm install` puts them in node_modules/.bin).
 */
export function runtimeExecutable(runtime: Runtime, root: string): string {
  return runtime === "node" ? process.execPath : join(root, "node_modules/.bin", runtime);
}
