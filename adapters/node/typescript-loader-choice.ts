/**
 * Which loader runs a TypeScript module on Node: Node's own type stripping, or tsx.
 *
 * Stripping costs what JavaScript costs once its output is in Node's compile cache; tsx costs a
 * worker 30 MB and 180 ms of CPU on Node 20 (its esbuild and a loader thread; BENCHMARKS.md). But
 * stripping only removes types: tsx also compiles enums, namespaces and parameter properties, maps a
 * `.js` specifier to the `.ts` file beside it, honours tsconfig `paths` and runs a `.ts` file of a
 * CommonJS package as CommonJS. So stripping is chosen only where it gives the same program, and
 * what it cannot load falls back to tsx ({@linkcode needsTsx}).
 *
 * @module
 */

import type { CompilerOptions } from "./tsconfig.ts";

/** What decides the loader of one TypeScript module. */
export interface TypeScriptFacts {
  /** `process.features.typescript`: `"strip"` or `"transform"` where Node runs `.ts` files, else falsy. */
  nodeTypeScript: string | false | undefined;
  /** Whether `module.registerHooks` exists (Node 22.15, 23.5): the fallback keys modules anew with it. */
  syncHooks: boolean;
  /** The module's extension: `.ts`, `.mts`, `.cts`, `.tsx`. */
  extension: string;
  /** The `type` of the module's package. */
  packageType: "module" | "commonjs";
  /** The compiler options tsx would use; undefined without a tsconfig; an Error when it could not be read. */
  compilerOptions: CompilerOptions | Error | undefined;
}

/** The loader chosen, and why, in a phrase. */
export type TypeScriptLoaderChoice = { loader: "native" | "tsx"; reason: string };

// ES2022 is where class fields became standard; below it TypeScript (and tsx) assign them in the
// constructor instead of defining them, which stripping cannot do.
const PRE_ES2022 = /^es(?:3|5|6|2015|2016|2017|2018|2019|2020|2021)$/i;

/** Chooses the loader of a TypeScript module from `facts`. */
export function chooseTypeScriptLoader(facts: TypeScriptFacts): TypeScriptLoaderChoice {
  if (!facts.nodeTypeScript) return { loader: "tsx", reason: "this Node does not strip types" };
  if (!facts.syncHooks) return { loader: "tsx", reason: "this Node has no module.registerHooks for a fallback" };
  if (facts.extension === ".tsx") return { loader: "tsx", reason: "Node does not run JSX" };
  if (facts.extension === ".cts" || (facts.extension === ".ts" && facts.packageType === "commonjs")) {
    // tsx compiles such a file to CommonJS, `export` included; Node would load one with `export` as
    // an ES module, where `require` and `__dirname` do not exist.
    return { loader: "tsx", reason: "the module is CommonJS (no \"type\": \"module\" in its package.json)" };
  }
  if (facts.compilerOptions instanceof Error) {
    return { loader: "tsx", reason: `its tsconfig could not be read (${facts.compilerOptions.message})` };
  }
  const setting = facts.compilerOptions && tsxOnlySetting(facts.compilerOptions);
  if (setting) return { loader: "tsx", reason: `its tsconfig sets ${setting}` };
  return { loader: "native", reason: "Node strips its types" };
}

/**
 * The first compiler option under which tsx's output means something stripping cannot give, or
 * undefined. Options stripping fails on loudly (decorators, JSX) are left to the fallback.
 */
export function tsxOnlySetting(options: CompilerOptions): string | undefined {
  if (options.paths !== undefined) return "`paths`";
  if (options.baseUrl !== undefined) return "`baseUrl`";
  if (options.experimentalDecorators === true) return "`experimentalDecorators`";
  if (options.useDefineForClassFields === false) return "`useDefineForClassFields: false`";
  if (options.useDefineForClassFields === undefined && typeof options.target === "string" && PRE_ES2022.test(options.target)) {
    return `\`target: ${options.target}\` (class fields assigned, not defined)`;
  }
  return undefined;
}

// What Node's loader throws before any module of the graph has run, for a graph tsx can load:
// syntax stripping leaves out (enums, namespaces, parameter properties, decorators), an import of a
// type that only TypeScript elides (a link error), a specifier tsx resolves (`./x.js` for `./x.ts`,
// no extension, a directory), `.tsx`, TypeScript under node_modules.
const FALLBACK_CODES = new Set([
  "ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX",
  "ERR_INVALID_TYPESCRIPT_SYNTAX",
  "ERR_MODULE_NOT_FOUND",
  "ERR_UNSUPPORTED_DIR_IMPORT",
  "ERR_UNKNOWN_FILE_EXTENSION",
  "ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING",
]);

/**
 * Whether a native import failed with an error tsx may not have: then the module is loaded again
 * with tsx, whose own error is the one reported if it fails too.
 */
export function needsTsx(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, name } = error as { code?: unknown; name?: unknown };
  return (typeof code === "string" && FALLBACK_CODES.has(code)) || name === "SyntaxError";
}
