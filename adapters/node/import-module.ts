/**
 * Importing the app (and the config file) on Node, TypeScript included.
 *
 * A JavaScript module is imported as it is. A TypeScript module is imported by the loader
 * typescript-loader-choice.ts picks: Node's own type stripping (Node 22.18, 23.6 and later) or mgr's
 * esbuild hooks (Node 20), each keeping its output in a cache the workers share (strip-hooks.ts,
 * esbuild-hooks.ts), so that a worker costs about what it costs for JavaScript; or tsx, as before, for
 * what those cannot give (a CommonJS package, tsconfig `paths`…). Both load, module by module, what
 * tsx adds to Node: an enum, a namespace or a parameter property compiled by esbuild where Node only
 * strips, `./x.js` naming `./x.ts`, extensionless and directory specifiers resolved after Node failed
 * on them; so a module the app imports once running loads as at its start. When their loading still
 * fails on what tsx can run (an interface imported without `type` where Node strips, `./x.js` naming
 * `./x.tsx`…), the app is loaded again through tsx: the same app runs the same way on Node 20, 22
 * and 24. That retry runs what ran of the app's top level again; it is left for such apps only.
 *
 * @module
 */

import nodeModule from "node:module";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { registerEsbuildHooks } from "./esbuild-loader.ts";
import { packageTypeOf } from "./package-type.ts";
import { withRetryKey } from "./retry-key.ts";
import { deactivateStripHooks, registerStripHooks } from "./strip-hooks.ts";
import { findTsconfig, readCompilerOptions } from "./tsconfig.ts";
import type { CompilerOptions } from "./tsconfig.ts";
import { keepTsxCachePrivate, registerTsx, rekeyTypeScriptModules } from "./tsx-loader.ts";
import { silenceTypeStrippingWarning } from "./type-stripping-warning.ts";
import { chooseTypeScriptLoader, needsTsx } from "./typescript-loader-choice.ts";
import type { TypeScriptFacts } from "./typescript-loader-choice.ts";

const TYPESCRIPT = /\.(?:ts|mts|cts|tsx)$/;

/**
 * How this process loads TypeScript. tsx, once registered, loads every later module; after a failure
 * (`tsx-retry`) under URLs of their own (retry-key.ts).
 */
let mode: "unset" | "node" | "esbuild" | "tsx" | "tsx-retry" = "unset";

/**
 * `MGR_TYPESCRIPT=tsx` loads every TypeScript module through tsx, as before Node's own stripping was
 * used: for an app that imports, once running, modules only tsx can load (a `.tsx` file; an
 * `await import()` of one at its top level would otherwise have run the app's code before the retry
 * under tsx ran it again).
 */
export const TYPESCRIPT_LOADER_ENV = "MGR_TYPESCRIPT";

/** Imports `url`; a TypeScript module through the loader {@linkcode chooseTypeScriptLoader} picks. */
export async function importModule(url: string): Promise<unknown> {
  if (!TYPESCRIPT.test(new URL(url).pathname)) return import(url);
  if (mode === "tsx") return import(url);
  if (mode === "tsx-retry") return import(withRetryKey(url));
  keepTsxCachePrivate();
  if (process.env[TYPESCRIPT_LOADER_ENV] === "tsx" && mode === "unset") {
    await registerTsx();
    mode = "tsx";
    return import(url);
  }
  const compilerOptions = tsxCompilerOptions();
  const { loader } = chooseTypeScriptLoader(typeScriptFacts(fileURLToPath(url), compilerOptions));
  if (loader === "node" && mode === "unset") {
    silenceTypeStrippingWarning();
    registerStripHooks(nodeTypeScript(), compilerOptions instanceof Error ? undefined : compilerOptions);
    mode = "node";
  } else if (loader === "esbuild" && mode === "unset" && registerEsbuildHooks(compilerOptions instanceof Error ? undefined : compilerOptions)) {
    mode = "esbuild";
  } else if (loader === "tsx" || mode === "unset") {
    await registerTsx();
    mode = "tsx";
    return import(url);
  }
  try {
    return await import(url);
  } catch (error) {
    if (!needsTsx(error)) throw error;
    deactivateStripHooks();
    await registerTsx();
    if (typeof (nodeModule as { registerHooks?: unknown }).registerHooks === "function") rekeyTypeScriptModules();
    mode = "tsx-retry";
    return import(withRetryKey(url));
  }
}

function typeScriptFacts(path: string, compilerOptions: CompilerOptions | Error | undefined): TypeScriptFacts {
  return {
    nodeTypeScript: nodeTypeScript(),
    syncHooks: typeof (nodeModule as { registerHooks?: unknown }).registerHooks === "function",
    asyncHooks: typeof nodeModule.register === "function",
    extension: extname(path),
    packageType: packageTypeOf(path),
    compilerOptions,
  };
}

/** `process.features.typescript` (Node 22.10): `"strip"`, `"transform"`, or false; undefined before. */
function nodeTypeScript(): string | false | undefined {
  return (process.features as { typescript?: string | false }).typescript;
}

function tsxCompilerOptions(): CompilerOptions | Error | undefined {
  try {
    const path = findTsconfig(process.cwd(), process.env);
    return path === undefined ? undefined : readCompilerOptions(path);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
