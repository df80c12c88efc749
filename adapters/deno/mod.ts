/**
 * The Deno adapter.
 *
 * @module
 */

import type { Runtime } from "../../src/runtime/runtime.ts";

/** Creates the Deno {@linkcode Runtime}. */
export function createDenoRuntime(): Runtime {
  throw new Error("Cannot start: the Deno adapter is being written");
}
