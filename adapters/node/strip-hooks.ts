/**
 * Node's type stripping, served from a cache (strip-cache.ts), with what tsx would add done module by
 * module: a synchronous load hook hands Node each TypeScript ES module stripped by the same
 * `module.stripTypeScriptTypes` Node itself uses, so the program is the one Node would run, or, for
 * a module stripping refuses (an enum…), compiled by esbuild as tsx compiles it (strip-or-compile.ts);
 * a resolve hook resolves what Node cannot and tsx can, after Node failed (resolve-as-tsx.ts).
 *
 * @module
 */

import nodeModule from "node:module";
import { fileURLToPath } from "node:url";
import { resolveAsTsx } from "./resolve-as-tsx.ts";
import { createStripOrCompile } from "./strip-or-compile.ts";
import type { CompilerOptions } from "./tsconfig.ts";
import { typeScriptCacheDirectory } from "./typescript-cache-directory.ts";

type Context = { parentURL?: string };
type Loaded = { format?: string | null; source?: unknown };

/** The hooks of `module.registerHooks` used here. */
interface Hooks {
  resolve(specifier: string, context: Context, next: (specifier: string, context: Context) => unknown): unknown;
  load?(url: string, context: unknown, next: (url: string, context: unknown) => Loaded): Loaded;
}

/** The slice of `node:module` used here (Node 22.15 and 22.13, 23.5 and 23.2). */
interface StripApi {
  registerHooks(hooks: Hooks): unknown;
  stripTypeScriptTypes(code: string, options?: { mode?: "strip" | "transform" }): string;
}

let registered = false;
let active = true;

/**
 * Registers the hooks, once per process. The load hook only where Node strips types
 * (`process.features.typescript` is `"strip"`; under `--experimental-transform-types` Node compiles
 * what stripping cannot, with source maps, and is left to it). Without a private directory to keep
 * the cache in, every module is stripped or compiled anew, as Node would strip it anyway.
 */
export function registerStripHooks(mode: string | false | undefined, compilerOptions: CompilerOptions | undefined): void {
  if (registered) return;
  registered = true;
  const api = nodeModule as unknown as StripApi;
  const hooks: Hooks = {
    resolve: (specifier, context, next) => (active ? resolveAsTsx(specifier, context, next) : next(specifier, context)),
  };
  if (mode === "strip" && typeof api.stripTypeScriptTypes === "function") {
    const stripOrCompile = createStripOrCompile({
      directory: typeScriptCacheDirectory(),
      tag: `node ${process.version} strip`,
      strip: (source) => api.stripTypeScriptTypes(source, { mode: "strip" }),
      compilerOptions,
    });
    let sourceMaps = false;
    hooks.load = (url, context, next) => {
      const loaded = next(url, context);
      if (!active || loaded.format !== "module-typescript") return loaded;
      const { code, compiled } = stripOrCompile(sourceText(loaded.source), fileURLToPath(url));
      if (compiled && !sourceMaps) {
        // esbuild moves lines: stacks are read through its inline source maps, as under tsx. Node
        // reads a module's map as it compiles it, so they are on before this one is handed over.
        sourceMaps = true;
        process.setSourceMapsEnabled(true);
      }
      return { ...loaded, format: "module", source: code };
    };
  }
  api.registerHooks(hooks);
}

/**
 * Leaves every module to the hooks registered later, for good: tsx, once it has taken over after Node
 * failed on the app, must get the TypeScript source to compile, not the output of stripping.
 */
export function deactivateStripHooks(): void {
  active = false;
}

function sourceText(source: unknown): string {
  if (typeof source === "string") return source;
  return Buffer.from(source as Uint8Array).toString("utf8");
}
