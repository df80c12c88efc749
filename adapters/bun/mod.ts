/**
 * The Bun adapter.
 *
 * @module
 */

import type { Runtime } from "../../src/runtime/runtime.ts";

/** Creates the Bun {@linkcode Runtime}. */
export function createBunRuntime(): Runtime {
  throw new Error("Cannot start: the Bun adapter is being written");
}
