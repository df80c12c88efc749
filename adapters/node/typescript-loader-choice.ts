/**
 * Which loader runs a TypeScript module on Node: Node's own type stripping (`node`), mgr's esbuild
 * hooks where Node cannot strip (`esbuild`, Node 20), or tsx.
 *
 * Both of the first two keep their output in a cache the workers share, and cost about what
 * JavaScript costs; tsx costs a worker 30 MB and 180 ms of CPU on Node 20 (its esbuild, in the worker
 * and in a loader thread; BENCHMARKS.md). Each does per module what tsx adds to Node: a module
 * stripping refuses (an enum, a namespace, a parameter property) is compiled by esbuild as tsx
 * compiles it (strip-or-compile.ts), and a specifier Node cannot resolve is tried as tsx tries it
 * (`./x.js` for x.ts, `./x`, `./dir`: resolve-as-tsx.ts). What they do not do is the program tsx
 * gives where a tsconfig changes resolution (`paths`, `baseUrl`) or, under stripping, what classes
 * and decorators compile to, and a `.ts` file of a CommonJS package, which tsx runs as CommonJS: for
 * those tsx is chosen from the start. What they fail on otherwise (a `.tsx` file imported, an
 * interface imported without `type` under stripping) falls back to tsx ({@linkcode needsTsx}).
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
  /** Whether `module.register` exists (Node 20.6): what the esbuild hooks are registered with. */
  asyncHooks: boolean;
  /** The module's extension: `.ts`, `.mts`, `.cts`, `.tsx`. */
  extension: string;
  /** The `type` of the module's package. */
  packageType: "module" | "commonjs";
  /** The compiler options tsx would use; undefined without a tsconfig; an Error when it could not be read. */
  compilerOptions: CompilerOptions | Error | undefined;
}

/** The loaders of a TypeScript module. */
export type TypeScriptLoader = "node" | "esbuild" | "tsx";

/** The loader chosen, and why, in a phrase. */
export type TypeScriptLoaderChoice = { loader: TypeScriptLoader; reason: string };

// ES2022 is where class fields became standard; below it TypeScript (and tsx) assign them in the
// constructor instead of defining them, which stripping cannot do.
const PRE_ES2022 = /^es(?:3|5|6|2015|2016|2017|2018|2019|2020|2021)$/i;

/** Chooses the loader of a TypeScript module from `facts`. */
export function chooseTypeScriptLoader(facts: TypeScriptFacts): TypeScriptLoaderChoice {
  if (facts.extension === ".tsx") return { loader: "tsx", reason: "JSX is tsx's" };
  if (facts.extension === ".cts" || (facts.extension === ".ts" && facts.packageType === "commonjs")) {
    // tsx compiles such a file to CommonJS, `export` included; Node would load one with `export` as
    // an ES module, where `require` and `__dirname` do not exist.
    return { loader: "tsx", reason: "the module is CommonJS (no \"type\": \"module\" in its package.json)" };
  }
  if (facts.compilerOptions instanceof Error) {
    return { loader: "tsx", reason: `its tsconfig could not be read (${facts.compilerOptions.message})` };
  }
  if (facts.nodeTypeScript && facts.syncHooks) {
    const setting = facts.compilerOptions && tsxOnlySetting(facts.compilerOptions);
    if (setting) return { loader: "tsx", reason: `its tsconfig sets ${setting}` };
    return { loader: "node", reason: "Node strips its types" };
  }
  if (!facts.nodeTypeScript && facts.asyncHooks) {
    // esbuild compiles with the tsconfig as tsx gives it; only resolution is tsx's alone.
    const setting = facts.compilerOptions && resolutionSetting(facts.compilerOptions);
    if (setting) return { loader: "tsx", reason: `its tsconfig sets ${setting}` };
    return { loader: "esbuild", reason: "this Node does not strip types" };
  }
  return { loader: "tsx", reason: "this Node has no module hooks to fall back from" };
}

/** The compiler option that changes how tsx resolves a specifier, or undefined. */
function resolutionSetting(options: CompilerOptions): string | undefined {
  if (options.paths !== undefined) return "`paths`";
  if (options.baseUrl !== undefined) return "`baseUrl`";
  return undefined;
}

/**
 * The first compiler option under which tsx's output means something stripping cannot give, or
 * undefined. Options stripping fails on loudly (decorators, JSX) are left to the fallback.
 */
export function tsxOnlySetting(options: CompilerOptions): string | undefined {
  const resolution = resolutionSetting(options);
  if (resolution) return resolution;
  if (options.experimentalDecorators === true) return "`experimentalDecorators`";
  if (options.useDefineForClassFields === false) return "`useDefineForClassFields: false`";
  if (options.useDefineForClassFields === undefined && typeof options.target === "string" && PRE_ES2022.test(options.target)) {
    return `\`target: ${options.target}\` (class fields assigned, not defined)`;
  }
  return undefined;
}

/** The code of the error the esbuild hooks throw for a CommonJS TypeScript module: tsx's to compile. */
export const COMMONJS_TYPESCRIPT = "ERR_MGR_COMMONJS_TYPESCRIPT";

// What Node's loader throws before any module of the graph has run, for a graph tsx can load and
// mgr's hooks did not: syntax V8 does not parse after stripping (decorators), an import of a type
// that only TypeScript elides (a link error), a specifier tsx resolves to a file only tsx runs
// (`./x.js` for `./x.tsx`), `.tsx`, TypeScript under node_modules, and from the esbuild hooks a
// CommonJS module. The stripping codes stay for what Node strips itself (a `.cts` file imported).
const FALLBACK_CODES = new Set([
  COMMONJS_TYPESCRIPT,
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
