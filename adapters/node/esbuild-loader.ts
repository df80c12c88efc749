/**
 * Registering esbuild-hooks.ts, where Node cannot strip types (Node 20).
 *
 * @module
 */

import nodeModule from "node:module";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import type { EsbuildHooksData } from "./esbuild-hooks.ts";
import type { CompilerOptions } from "./tsconfig.ts";
import { typeScriptCacheDirectory } from "./typescript-cache-directory.ts";

// Beside this file, compiled (`.js`) or not (`.ts`, when run by a TypeScript-aware tool).
const HOOKS = new URL(`./esbuild-hooks${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

let registered: boolean | undefined;

/**
 * Registers the hooks, once per process; false where they cannot run (no `module.register`, no
 * private directory for their cache), and the app is then left to tsx.
 */
export function registerEsbuildHooks(compilerOptions: CompilerOptions | undefined): boolean {
  if (registered !== undefined) return registered;
  const directory = typeScriptCacheDirectory();
  registered = directory !== undefined && typeof nodeModule.register === "function";
  if (!registered) return false;
  const data: EsbuildHooksData = { directory: directory!, compilerOptions };
  nodeModule.register(HOOKS, { data });
  // esbuild moves lines: stacks are read through the inline source maps, as under tsx.
  process.setSourceMapsEnabled(true);
  return true;
}
