/**
 * Module hooks for a Node that cannot strip types (Node 20): registered with `module.register`, they
 * run in Node's hooks thread and hand Node each TypeScript ES module compiled by esbuild, as tsx
 * would compile it, from the cache the workers share (esbuild-compiler.ts); and resolve, module by
 * module, what Node cannot and tsx can (`./x.js` naming x.ts, `./x`, `./dir`: resolve-as-tsx.ts).
 *
 * tsx costs a Node 20 worker 180 ms of CPU and 30 MB: its own code and esbuild's, in the worker and
 * again in the hooks thread. These hooks cost the hooks thread alone (BENCHMARKS.md). What they do not
 * do (CommonJS, `.tsx`, tsconfig `paths`) fails with an error import-module.ts takes to mean tsx, as
 * it does for Node's own stripping.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { createEsbuildCompiler } from "./esbuild-compiler.ts";
import type { EsbuildCompiler } from "./esbuild-compiler.ts";
import { packageTypeOf } from "./package-type.ts";
import { resolveAsTsxAsync } from "./resolve-as-tsx.ts";
import { hasRetryKey, withRetryKey } from "./retry-key.ts";
import { COMMONJS_TYPESCRIPT } from "./typescript-loader-choice.ts";

/** What the worker hands these hooks at registration. */
export interface EsbuildHooksData {
  /** The cache's directory, private to the user. */
  directory: string;
  /** The tsconfig's compiler options tsx would use, given to esbuild as tsx gives them. */
  compilerOptions: Record<string, unknown> | undefined;
}

type Resolved = { url: string; format?: string | null; shortCircuit?: boolean };
type Loaded = { format?: string | null; source?: unknown; shortCircuit?: boolean };

let compile: EsbuildCompiler | undefined;

/** Opens the cache: called by Node once, with the `data` given to `module.register`. */
export function initialize(data: EsbuildHooksData): void {
  compile = createEsbuildCompiler(data);
}

/**
 * Resolves what Node cannot and tsx can, after Node failed; keeps the modules a tsx retry imports
 * under the retry's own URLs (see retry-key.ts), resolved by tsx.
 */
export async function resolve(
  specifier: string,
  context: { parentURL?: string },
  next: (specifier: string, context: { parentURL?: string }) => Promise<Resolved>,
): Promise<Resolved> {
  if (context.parentURL && hasRetryKey(context.parentURL)) {
    const resolved = await next(specifier, context);
    return { ...resolved, url: withRetryKey(resolved.url) };
  }
  return resolveAsTsxAsync(specifier, context, next);
}

/** Compiles a TypeScript ES module, from the cache when it is there. */
export async function load(url: string, context: unknown, next: (url: string, context: unknown) => Promise<Loaded>): Promise<Loaded> {
  if (!compile || !url.startsWith("file:") || hasRetryKey(url)) return next(url, context);
  const path = fileURLToPath(url);
  const extension = extname(path);
  if (extension !== ".ts" && extension !== ".mts") return next(url, context);
  if (extension === ".ts" && packageTypeOf(path) !== "module") {
    throw Object.assign(new Error(`${path} is CommonJS (no "type": "module" in its package.json): tsx compiles it`), { code: COMMONJS_TYPESCRIPT });
  }
  return { format: "module", source: compile(readFileSync(path, "utf8"), path), shortCircuit: true };
}
