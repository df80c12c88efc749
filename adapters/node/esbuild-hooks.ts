/**
 * Module hooks for a Node that cannot strip types (Node 20): registered with `module.register`, they
 * run in Node's hooks thread and hand Node each TypeScript ES module compiled by esbuild, as tsx
 * would compile it, from the cache the workers share (strip-cache.ts). esbuild itself is loaded only
 * on a miss.
 *
 * tsx costs a Node 20 worker 180 ms of CPU and 30 MB: its own code and esbuild's, in the worker and
 * again in the hooks thread. These hooks cost the hooks thread alone (BENCHMARKS.md). What they do not
 * do (resolve `./x.js` to `./x.ts`, CommonJS, tsconfig `paths`) fails with an error import-module.ts
 * takes to mean tsx, as it does for Node's own stripping.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { packageTypeOf } from "./package-type.ts";
import { hasRetryKey, withRetryKey } from "./retry-key.ts";
import { createStripCache } from "./strip-cache.ts";
import { COMMONJS_TYPESCRIPT } from "./typescript-loader-choice.ts";
import type { StripCache } from "./strip-cache.ts";

/** What the worker hands these hooks at registration. */
export interface EsbuildHooksData {
  /** The cache's directory, private to the user. */
  directory: string;
  /** The tsconfig's compiler options tsx would use, given to esbuild as tsx gives them. */
  compilerOptions: Record<string, unknown> | undefined;
}

type Resolved = { url: string; format?: string | null; shortCircuit?: boolean };
type Loaded = { format?: string | null; source?: unknown; shortCircuit?: boolean };

let cache: StripCache | undefined;

/** Opens the cache: called by Node once, with the `data` given to `module.register`. */
export function initialize(data: EsbuildHooksData): void {
  // The esbuild tsx depends on, found from tsx as tsx finds it: mgr depends on tsx, not on esbuild, and
  // a strict package manager (pnpm) puts esbuild where only tsx sees it.
  const require = createRequire(createRequire(import.meta.url).resolve("tsx/package.json"));
  let esbuild: typeof import("esbuild") | undefined;
  const options = {
    loader: "ts" as const,
    format: "esm" as const,
    target: `node${process.versions.node}`,
    // Output lines move: stacks are mapped back through the inline map, with source maps on.
    sourcemap: "inline" as const,
    sourcesContent: false,
    keepNames: true,
    tsconfigRaw: { compilerOptions: data.compilerOptions ?? {} } as import("esbuild").TransformOptions["tsconfigRaw"],
  };
  // Read without loading esbuild: a hit never does.
  const version = (require("esbuild/package.json") as { version: string }).version;
  cache = createStripCache({
    directory: data.directory,
    tag: `esbuild ${version} ${JSON.stringify(options)}`,
    strip(source, path) {
      esbuild ??= require("esbuild") as typeof import("esbuild");
      return esbuild.transformSync(source, { ...options, sourcefile: path }).code;
    },
  });
}

/** Keeps the modules a tsx retry imports under the retry's own URLs (see retry-key.ts). */
export async function resolve(
  specifier: string,
  context: { parentURL?: string },
  next: (specifier: string, context: { parentURL?: string }) => Promise<Resolved>,
): Promise<Resolved> {
  const resolved = await next(specifier, context);
  return context.parentURL && hasRetryKey(context.parentURL) ? { ...resolved, url: withRetryKey(resolved.url) } : resolved;
}

/** Compiles a TypeScript ES module, from the cache when it is there. */
export async function load(url: string, context: unknown, next: (url: string, context: unknown) => Promise<Loaded>): Promise<Loaded> {
  if (!cache || !url.startsWith("file:") || hasRetryKey(url)) return next(url, context);
  const path = fileURLToPath(url);
  const extension = extname(path);
  if (extension !== ".ts" && extension !== ".mts") return next(url, context);
  if (extension === ".ts" && packageTypeOf(path) !== "module") {
    throw Object.assign(new Error(`${path} is CommonJS (no "type": "module" in its package.json): tsx compiles it`), { code: COMMONJS_TYPESCRIPT });
  }
  // Without its byte order mark, as Node and tsx read a module: esbuild takes a `#!` line only first.
  const source = readFileSync(path, "utf8").replace(/^\uFEFF/, "");
  return { format: "module", source: cache.stripped(source, path), shortCircuit: true };
}
