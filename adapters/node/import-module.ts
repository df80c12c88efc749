/**
 * Importing the app (and the config file) on Node, TypeScript included.
 *
 * A JavaScript module is imported as it is. A TypeScript module is imported with Node's own type
 * stripping where the Node version and the module allow it (typescript-loader-choice.ts), its output
 * kept in a cache the workers share (strip-hooks.ts), so that a worker costs what it costs for
 * JavaScript; when Node's loader fails on
 * what tsx can run (an enum, `./x.js` naming `./x.ts`…), or where stripping is out (Node 20, a
 * CommonJS package, a tsconfig whose meaning it cannot give), through tsx, as before: the same app runs
 * the same way on Node 20, 22 and 24.
 *
 * @module
 */

import nodeModule from "node:module";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { packageTypeOf } from "./package-type.ts";
import { findTsconfig, readCompilerOptions } from "./tsconfig.ts";
import type { CompilerOptions } from "./tsconfig.ts";
import { silenceTypeStrippingWarning } from "./type-stripping-warning.ts";
import { chooseTypeScriptLoader, needsTsx } from "./typescript-loader-choice.ts";
import type { TypeScriptFacts } from "./typescript-loader-choice.ts";
import { deactivateStripHooks, registerStripHooks } from "./strip-hooks.ts";
import { registerTsx, rekeyTypeScriptModules } from "./tsx-loader.ts";

const TYPESCRIPT = /\.(?:ts|mts|cts|tsx)$/;

/** How this process has been loading TypeScript: tsx, once registered, stays for every later module. */
let mode: "unset" | "native" | "tsx" = "unset";

/** Imports `url`; a TypeScript module through the loader {@linkcode chooseTypeScriptLoader} picks. */
export async function importModule(url: string): Promise<unknown> {
  const { pathname } = new URL(url);
  if (!TYPESCRIPT.test(pathname) || mode === "tsx") return import(url);
  if (chooseTypeScriptLoader(typeScriptFacts(fileURLToPath(url))).loader === "tsx") {
    await registerTsx();
    mode = "tsx";
    return import(url);
  }
  if (mode === "unset") {
    silenceTypeStrippingWarning();
    registerStripHooks(nodeTypeScript());
    mode = "native";
  }
  try {
    return await import(url);
  } catch (error) {
    if (!needsTsx(error)) throw error;
    deactivateStripHooks();
    await registerTsx();
    rekeyTypeScriptModules();
    mode = "tsx";
    return import(url);
  }
}

function typeScriptFacts(path: string): TypeScriptFacts {
  return {
    nodeTypeScript: nodeTypeScript(),
    syncHooks: typeof (nodeModule as { registerHooks?: unknown }).registerHooks === "function",
    extension: extname(path),
    packageType: packageTypeOf(path),
    compilerOptions: tsxCompilerOptions(),
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
