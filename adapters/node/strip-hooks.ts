/**
 * Node's type stripping, served from a cache (strip-cache.ts): a synchronous load hook that hands Node
 * each TypeScript ES module already stripped, by the same `module.stripTypeScriptTypes` Node itself
 * uses, so the program is the one Node would run.
 *
 * @module
 */

import nodeModule from "node:module";
import { createStripCache } from "./strip-cache.ts";
import { typeScriptCacheDirectory } from "./typescript-cache-directory.ts";

/** The slice of `node:module` used here (Node 22.15 and 22.13, 23.5 and 23.2). */
interface StripApi {
  registerHooks(hooks: {
    load(
      url: string,
      context: unknown,
      next: (url: string, context: unknown) => { format?: string | null; source?: unknown },
    ): { format?: string | null; source?: unknown };
  }): unknown;
  stripTypeScriptTypes(code: string, options?: { mode?: "strip" | "transform" }): string;
}

let registered = false;
let active = true;

/**
 * Registers the load hook, once per process, where Node strips types (`process.features.typescript`
 * is `"strip"`; under `--experimental-transform-types` Node's own output comes with source maps, and
 * Node is left to it). Without a private directory to keep the cache in, it does nothing: Node strips
 * each module itself, as it would anyway.
 */
export function registerStripHooks(mode: string | false | undefined): void {
  if (registered) return;
  registered = true;
  const api = nodeModule as unknown as StripApi;
  if (mode !== "strip" || typeof api.stripTypeScriptTypes !== "function") return;
  const directory = typeScriptCacheDirectory();
  if (directory === undefined) return;
  const cache = createStripCache({
    directory,
    tag: `node ${process.version} strip`,
    strip: (source) => api.stripTypeScriptTypes(source, { mode: "strip" }),
  });
  api.registerHooks({
    load(url, context, next) {
      const loaded = next(url, context);
      if (!active || loaded.format !== "module-typescript") return loaded;
      return { ...loaded, format: "module", source: cache.stripped(sourceText(loaded.source)) };
    },
  });
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
