/**
 * TypeScript ES modules compiled by esbuild as tsx compiles them, kept in the cache the workers share
 * (strip-cache.ts): every module on Node 20 (esbuild-hooks.ts), and on a Node that strips types the
 * modules stripping refuses (enums, namespaces, parameter properties: strip-hooks.ts).
 *
 * esbuild is the one tsx depends on, found through tsx: mgr depends on tsx, not on esbuild, and a strict
 * package manager (pnpm) puts esbuild where only tsx sees it. It is loaded on a miss only, and its
 * version read on the first module compiled, not before: a worker that finds everything in the cache,
 * or needs nothing compiled, never loads it.
 *
 * @module
 */

import { createRequire } from "node:module";
import { createStripCache } from "./strip-cache.ts";
import type { StripCache } from "./strip-cache.ts";
import type { CompilerOptions } from "./tsconfig.ts";

/** Options of {@linkcode createEsbuildCompiler}. */
export interface EsbuildCompilerOptions {
  /** The cache's directory, private to the user; undefined to compile every module anew. */
  directory: string | undefined;
  /** The tsconfig's compiler options tsx would use, given to esbuild as tsx gives them. */
  compilerOptions: CompilerOptions | undefined;
}

/**
 * Compiles the TypeScript ES module at `path` (a file path) from its `source`, with an inline source
 * map naming that path: stacks point to the `.ts` lines where source maps are on.
 */
export type EsbuildCompiler = (source: string, path: string) => string;

/** Creates a compiler that reads and fills the cache of `options.directory`. */
export function createEsbuildCompiler(options: EsbuildCompilerOptions): EsbuildCompiler {
  let cache: StripCache | undefined;
  return (source, path) => {
    cache ??= openCache(options);
    // Without its byte order mark, as Node and tsx read a module: esbuild takes a `#!` line only first.
    return cache.stripped(source.replace(/^\uFEFF/, ""), path);
  };
}

function openCache({ directory, compilerOptions }: EsbuildCompilerOptions): StripCache {
  const require = createRequire(createRequire(import.meta.url).resolve("tsx/package.json"));
  let esbuild: typeof import("esbuild") | undefined;
  const transformOptions = {
    loader: "ts" as const,
    format: "esm" as const,
    target: `node${process.versions.node}`,
    // Output lines move: stacks are mapped back through the inline map, with source maps on.
    sourcemap: "inline" as const,
    sourcesContent: false,
    keepNames: true,
    tsconfigRaw: { compilerOptions: compilerOptions ?? {} } as import("esbuild").TransformOptions["tsconfigRaw"],
  };
  const compile = (source: string, path: string): string => {
    esbuild ??= require("esbuild") as typeof import("esbuild");
    return esbuild.transformSync(source, { ...transformOptions, sourcefile: path }).code;
  };
  if (directory === undefined) return { stripped: (source, path = "") => compile(source, path) };
  // Read without loading esbuild: a hit never does.
  const version = (require("esbuild/package.json") as { version: string }).version;
  return createStripCache({ directory, tag: `esbuild ${version} ${JSON.stringify(transformOptions)}`, strip: compile });
}
