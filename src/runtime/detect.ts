/**
 * Which runtime this process is, decided by feature, in one place.
 *
 * @module
 */

import type { RuntimeName } from "../core/runtime.ts";

/**
 * Names the runtime running this code. Bun and Deno both define `process` and report a Node version
 * in it, so their own globals are checked first.
 */
export function detectRuntime(): RuntimeName {
  const global = globalThis as { Bun?: unknown; Deno?: unknown };
  if (global.Bun !== undefined) return "bun";
  if (global.Deno !== undefined) return "deno";
  return "node";
}
