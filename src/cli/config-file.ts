/**
 * Finding and importing `mgr.config.ts`.
 *
 * @module
 */

import { existsSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { toFileUrl, unwrapCommonJs } from "../runtime/app.ts";
import { UsageError } from "./usage-error.ts";

/** The names looked for in the working directory, in order. */
export const CONFIG_FILE_NAMES = ["mgr.config.ts", "mgr.config.mts", "mgr.config.js", "mgr.config.mjs"];

/**
 * The config file to read: `explicit` (from `-c` or `MGR_CONFIG`), which must exist, or the first of
 * {@linkcode CONFIG_FILE_NAMES} in `cwd`, or none.
 */
export function findConfigFile(cwd: string, explicit: string | undefined): string | undefined {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new UsageError(`config file not found: ${path}`);
    return path;
  }
  return CONFIG_FILE_NAMES.map((name) => resolve(cwd, name)).find((path) => existsSync(path));
}

/**
 * Imports the config file and returns its default export. `reload` numbers the re-reads that SIGHUP
 * and `mgr reload` ask for: each evaluates the file afresh, on every runtime, whether it is an ES
 * module or CommonJS (`module.exports =`). Modules the file itself imports stay as first loaded.
 *
 * @throws {UsageError} when the file cannot be imported, with the reason.
 */
export async function loadConfigFile(
  path: string,
  importModule: (url: string) => Promise<unknown>,
  reload = 0,
): Promise<unknown> {
  let module: Record<string, unknown>;
  try {
    if (reload > 0) forgetModule(path);
    try {
      module = unwrapCommonJs(await importModule(reload > 0 ? `${toFileUrl(path)}?reload=${reload}` : toFileUrl(path)));
    } catch (error) {
      if (!isCommonJsRunAsModule(error)) throw error;
      // Deno runs a `.js` file as an ES module unless its package says "type": "commonjs"; what
      // `npm init` wrote for years has no type, and Node and Bun run such a file as CommonJS.
      forgetModule(path);
      module = { default: createRequire(path)(path) };
    }
  } catch (error) {
    throw new UsageError(`cannot load ${path}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  }
  if (!("default" in module)) {
    throw new UsageError(`${path} has no default export; write \`export default defineConfig({ ... })\``);
  }
  return module.default;
}

/** Whether an import failed on a CommonJS global, as Deno's does for a CommonJS file it ran as an ES module. */
function isCommonJsRunAsModule(error: unknown): boolean {
  return error instanceof ReferenceError && /^(?:require|module|exports|__dirname|__filename) is not defined$/.test(error.message);
}

/**
 * Drops `path` from the CommonJS module cache. A new query in the URL is enough for an ES module on
 * Node and Deno, but not for what is loaded through that cache, keyed by path alone: on Node, a `.js`
 * CommonJS file and a `.ts` file tsx compiles to CommonJS (any package not `"type": "module"`); on
 * Deno, a CommonJS file; on Bun, every module, ES modules included (measured on Node 20.20, Bun 1.4.5,
 * Deno 2.9.6: each kept the first config without this).
 */
function forgetModule(path: string): void {
  const cache = createRequire(path).cache;
  // Node keys the cache by the real path, the way its resolver found the file.
  let real = path;
  try {
    real = realpathSync(path);
  } catch {
    // Gone since it was found: the import says so.
  }
  delete cache[path];
  delete cache[real];
}
