/**
 * Finding the Deno configuration an app is meant to run with.
 *
 * Deno looks for `deno.json` from the main module's directory upwards, not from the working directory
 * (measured on 2.9). A worker's main module is mgr's own entry, so left alone it would load the app
 * under mgr's configuration and miss the app's import map. The worker is therefore pointed at the
 * configuration `deno run APP` would find.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { parseAppReference } from "../../src/runtime/app-reference.ts";
import { Deno } from "./deno-api.ts";

/** The names Deno looks for in each directory, in its order. */
const CONFIG_NAMES = ["deno.json", "deno.jsonc"];

/**
 * The path of the `deno.json` (or `deno.jsonc`) nearest to the app of `reference`, walking up from
 * the app's directory; `undefined` when there is none. Without one, Deno falls back to what it finds
 * from the worker's entry (mgr's `deno.json`, which resolves bare imports from the `node_modules`
 * nearest to the importing file).
 */
export function findAppConfig(reference: string): string | undefined {
  const { path } = parseAppReference(reference);
  // `node:path`: Deno has no path functions of its own outside the standard library on JSR.
  for (let directory = dirname(path); ; directory = dirname(directory)) {
    for (const name of CONFIG_NAMES) {
      const candidate = join(directory, name);
      if (isFile(candidate)) return candidate;
    }
    if (dirname(directory) === directory) return undefined;
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
