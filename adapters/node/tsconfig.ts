/**
 * The `tsconfig.json` tsx compiles with: `TSX_TSCONFIG_PATH`, else the nearest `tsconfig.json` from the
 * working directory up, its `compilerOptions` merged over those of the files it `extends`.
 *
 * @module
 */

import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { parseJsonc } from "./jsonc.ts";

/** The `compilerOptions` of a tsconfig, as they stand after its `extends` chain. */
export type CompilerOptions = Record<string, unknown>;

const MAX_EXTENDS_DEPTH = 16;

/** The tsconfig tsx would read for a process started in `cwd` with `env`, or undefined when there is none. */
export function findTsconfig(cwd: string, env: Record<string, string | undefined>): string | undefined {
  if (env.TSX_TSCONFIG_PATH) return resolve(cwd, env.TSX_TSCONFIG_PATH);
  for (let directory = resolve(cwd); ; directory = dirname(directory)) {
    const candidate = join(directory, "tsconfig.json");
    if (isFile(candidate)) return candidate;
    if (dirname(directory) === directory) return undefined;
  }
}

/**
 * The compiler options of the tsconfig at `path`, `extends` followed (relative paths and packages, one
 * or several); the file's own options win over those it extends, later `extends` entries over earlier.
 *
 * @throws when a file of the chain cannot be read, parsed or found.
 */
export function readCompilerOptions(path: string, depth = 0): CompilerOptions {
  if (depth > MAX_EXTENDS_DEPTH) throw new Error(`Cannot read ${path}: its \`extends\` chain is deeper than ${MAX_EXTENDS_DEPTH}`);
  const config = parseJsonc(readFileSync(path, "utf8")) as { extends?: unknown; compilerOptions?: unknown };
  if (typeof config !== "object" || config === null) throw new Error(`Cannot read ${path}: it is not an object`);
  const bases = config.extends === undefined ? [] : Array.isArray(config.extends) ? config.extends : [config.extends];
  let options: CompilerOptions = {};
  for (const base of bases) {
    if (typeof base !== "string") throw new Error(`Cannot read ${path}: \`extends\` holds a ${typeof base}`);
    options = { ...options, ...readCompilerOptions(resolveExtends(base, dirname(path)), depth + 1) };
  }
  const own = config.compilerOptions;
  return typeof own === "object" && own !== null ? { ...options, ...(own as CompilerOptions) } : options;
}

/** Where `extends: specifier` in a tsconfig in `directory` points, as TypeScript looks for it. */
function resolveExtends(specifier: string, directory: string): string {
  if (specifier.startsWith(".") || isAbsolute(specifier)) {
    const path = resolve(directory, specifier);
    return isFile(path) || path.endsWith(".json") ? path : `${path}.json`;
  }
  // A package: `@tsconfig/node22/tsconfig.json`, or `@tsconfig/node22` naming its tsconfig.json.
  const require = createRequire(join(directory, "tsconfig.json"));
  for (const candidate of [specifier, `${specifier}.json`, `${specifier}/tsconfig.json`]) {
    try {
      return require.resolve(candidate);
    } catch {
      // The next spelling.
    }
  }
  throw new Error(`Cannot find the tsconfig \`${specifier}\` extended from ${directory}`);
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}
