/**
 * A TypeScript ES module made runnable as tsx would make it, where Node strips types: stripped, as
 * Node itself would; or, when stripping refuses it (an enum, a namespace, a parameter property, which
 * stripping cannot remove), compiled by esbuild as tsx compiles it. Both from the cache the workers
 * share, each under its own tag; a refusal is remembered there, so that only the first worker to meet
 * such a module loads swc to learn it.
 *
 * @module
 */

import { createEsbuildCompiler } from "./esbuild-compiler.ts";
import { createStripCache } from "./strip-cache.ts";
import type { StripCache } from "./strip-cache.ts";
import type { CompilerOptions } from "./tsconfig.ts";

/** Options of {@linkcode createStripOrCompile}. */
export interface StripOrCompileOptions {
  /** The cache's directory, private to the user; undefined to strip and compile every module anew. */
  directory: string | undefined;
  /** What stripping depends on besides the source: the Node version and the mode. */
  tag: string;
  /** Node's stripping: `module.stripTypeScriptTypes`. */
  strip(source: string): string;
  /** The tsconfig's compiler options tsx would use, given to esbuild. */
  compilerOptions: CompilerOptions | undefined;
}

/** A module's runnable code, and whether esbuild compiled it (its stacks need source maps on). */
export type StripOrCompile = (source: string, path: string) => { code: string; compiled: boolean };

// What stripping throws for a module it cannot run: syntax it does not remove, or syntax its parser
// rejects where esbuild (and so tsx) may accept it, or report it as tsx would.
const REFUSALS = new Set(["ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX", "ERR_INVALID_TYPESCRIPT_SYNTAX"]);

/** Whether `error` is stripping's refusal of a module's source. */
export function isStrippingRefusal(error: unknown): boolean {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" && REFUSALS.has(code);
}

/** Creates the function that strips a module, or compiles one stripping refuses. */
export function createStripOrCompile(options: StripOrCompileOptions): StripOrCompile {
  const { directory, strip } = options;
  const cache: StripCache = directory === undefined
    ? { stripped: (source) => strip(source) }
    : createStripCache({ directory, tag: options.tag, strip, remembers: isStrippingRefusal });
  const compile = createEsbuildCompiler({ directory, compilerOptions: options.compilerOptions });
  return (source, path) => {
    try {
      return { code: cache.stripped(source), compiled: false };
    } catch (error) {
      if (!isStrippingRefusal(error)) throw error;
      return { code: compile(source, path), compiled: true };
    }
  };
}
