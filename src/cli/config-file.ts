/**
 * Finding and importing `mgr.config.ts`.
 *
 * @module
 */

import { existsSync } from "node:fs";
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
 * Imports the config file and returns its default export. `reload` makes a fresh import on SIGHUP:
 * a module is imported once per URL, so each reload asks for a new one.
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
    module = unwrapCommonJs(await importModule(reload > 0 ? `${toFileUrl(path)}?reload=${reload}` : toFileUrl(path)));
  } catch (error) {
    throw new UsageError(`cannot load ${path}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  }
  if (!("default" in module)) {
    throw new UsageError(`${path} has no default export; write \`export default defineConfig({ ... })\``);
  }
  return module.default;
}
