/**
 * The `tsconfig.json` tsx compiles with: `TSX_TSCONFIG_PATH`, else the nearest `tsconfig.json` from the
 * working directory up, its `compilerOptions` merged over those of the files it `extends`. Read with
 * get-tsconfig, tsx's own reader, so the choice of loader sees what tsx would.
 *
 * @module
 */

import { resolve } from "node:path";
import { findTsconfig as findNearest, parseTsconfig } from "get-tsconfig";

/** The `compilerOptions` of a tsconfig, as they stand after its `extends` chain. */
export type CompilerOptions = Record<string, unknown>;

/** The tsconfig tsx would read for a process started in `cwd` with `env`, or undefined when there is none. */
export function findTsconfig(cwd: string, env: Record<string, string | undefined>): string | undefined {
  if (env.TSX_TSCONFIG_PATH) return resolve(cwd, env.TSX_TSCONFIG_PATH);
  return findNearest(resolve(cwd)) ?? undefined;
}

/**
 * The compiler options of the tsconfig at `path`, `extends` followed (relative paths and packages, one
 * or several); the file's own options win over those it extends, later `extends` entries over earlier.
 *
 * @throws when a file of the chain cannot be read, parsed or found.
 */
export function readCompilerOptions(path: string): CompilerOptions {
  return (parseTsconfig(path).compilerOptions ?? {}) as CompilerOptions;
}
