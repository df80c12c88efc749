/**
 * Resolving, module by module, the specifiers Node cannot and tsx can: `./x.js` naming x.ts, `./x.mjs`
 * naming x.mts, `./x` for x.ts or x.js, `./dir` for dir/index.ts. TypeScript written for
 * `moduleResolution: nodenext` or `bundler` names its imports so.
 *
 * Node's own resolution runs first, and only a specifier it fails on (ERR_MODULE_NOT_FOUND,
 * ERR_UNSUPPORTED_DIR_IMPORT) is looked at again: an import that resolves pays nothing. Then the
 * files tsx would try for the path Node's error names are tried, in tsx's order (tsx 4's
 * `getExtensionResolution` and directory fallback), whatever the parent: tsx does the same for every
 * parent once Node's resolution failed, so this loads no file tsx would not. tsx tries its candidates
 * before Node for a TypeScript parent; both give the same file unless `x.js` and `x.ts` sit side by
 * side, where this keeps the file the specifier names, as Node does.
 *
 * The first candidate that exists decides. When it is one mgr's loaders do not run as tsx does (a
 * `.tsx`, `.jsx` or `.cts` file, JSON, TypeScript in a CommonJS package or under node_modules), Node's
 * error stands, and import-module.ts takes the app to tsx.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { packageTypeOf } from "./package-type.ts";

type Context = { parentURL?: string };

/** Node's resolution of `specifier`, else the file tsx would resolve it to when mgr's loaders run that file. */
export function resolveAsTsx<Resolved>(
  specifier: string,
  context: Context,
  next: (specifier: string, context: Context) => Resolved,
): Resolved {
  try {
    return next(specifier, context);
  } catch (error) {
    const candidate = tsxCandidate(specifier, context.parentURL, error);
    if (candidate === undefined) throw error;
    return next(candidate, context);
  }
}

/** {@linkcode resolveAsTsx} for the asynchronous hooks of `module.register` (Node 20). */
export async function resolveAsTsxAsync<Resolved>(
  specifier: string,
  context: Context,
  next: (specifier: string, context: Context) => Promise<Resolved>,
): Promise<Resolved> {
  try {
    return await next(specifier, context);
  } catch (error) {
    const candidate = tsxCandidate(specifier, context.parentURL, error);
    if (candidate === undefined) throw error;
    return next(candidate, context);
  }
}

// What tsx tries for a path with one of these extensions (TypeScript's own substitution); a path
// with another extension, or none, gets an extension appended. `.ts`, `.mts`… name their file.
const SUBSTITUTES: Record<string, readonly string[]> = {
  ".js": [".ts", ".tsx", ".js", ".jsx"],
  ".jsx": [".tsx", ".ts", ".jsx", ".js"],
  ".cjs": [".cts"],
  ".mjs": [".mts"],
};
const VERBATIM = new Set([".ts", ".tsx", ".mts", ".cts", ".json", ".node"]);
const APPENDED_LOCAL = [".ts", ".tsx", ".jsx", ".js", ".json"];
// A package's published JavaScript before its sources, as tsx has it.
const APPENDED_DEPENDENCY = [".js", ".json", ".ts", ".tsx", ".jsx"];

/**
 * The URL tsx would resolve `specifier` to after Node failed with `error`, when mgr's loaders run that
 * file as tsx does; undefined when tsx would find nothing, or something only tsx runs.
 */
export function tsxCandidate(specifier: string, parentURL: string | undefined, error: unknown): string | undefined {
  const { code, url } = (typeof error === "object" && error !== null ? error : {}) as { code?: unknown; url?: unknown };
  if (typeof url !== "string" || !url.startsWith("file:")) return undefined;
  let candidates: URL[];
  if (code === "ERR_MODULE_NOT_FOUND") {
    candidates = new URL(url).pathname.endsWith("/") ? indexCandidates(url) : fileCandidates(url);
  } else if (code === "ERR_UNSUPPORTED_DIR_IMPORT" && isFileSpecifier(specifier)) {
    // A TypeScript parent tries `./dir` as a file first (tsx resolves its candidates before Node).
    const asFile = isTypeScript(parentURL) && !specifier.endsWith("/") ? fileCandidates(url) : [];
    candidates = [...asFile, ...indexCandidates(url)];
  } else {
    return undefined;
  }
  for (const candidate of candidates) {
    const path = fileURLToPath(candidate);
    if (!existsSync(path)) continue;
    return runsNatively(path) ? candidate.href : undefined;
  }
  return undefined;
}

/** The files tsx tries for the path of `url`, in its order, the query kept. */
function fileCandidates(url: string): URL[] {
  const parsed = new URL(url);
  const extension = extname(parsed.pathname);
  if (VERBATIM.has(extension)) return [];
  const substitutes = SUBSTITUTES[extension];
  const stem = substitutes ? parsed.pathname.slice(0, -extension.length) : parsed.pathname;
  const extensions = substitutes ?? (parsed.pathname.includes("/node_modules/") ? APPENDED_DEPENDENCY : APPENDED_LOCAL);
  return extensions.map((candidate) => {
    const next = new URL(parsed);
    next.pathname = stem + candidate;
    return next;
  });
}

/** The index files tsx tries for the directory of `url`. */
function indexCandidates(url: string): URL[] {
  const parsed = new URL(url);
  parsed.pathname = `${parsed.pathname.replace(/\/+$/, "")}/index`;
  return fileCandidates(parsed.href);
}

/** Whether mgr's loaders run the file at `path` as tsx would: JavaScript, or an ES module in TypeScript of the app. */
function runsNatively(path: string): boolean {
  const extension = extname(path);
  if (extension === ".js" || extension === ".mjs") return true;
  if (path.includes("/node_modules/")) return false;
  if (extension === ".mts") return true;
  return extension === ".ts" && packageTypeOf(path) === "module";
}

/** A relative or absolute path, or a file: URL: what is not a package (or `#import`) specifier. */
function isFileSpecifier(specifier: string): boolean {
  return /^\.{1,2}(?:\/|$)/.test(specifier) || specifier.startsWith("/") || specifier.startsWith("file:");
}

function isTypeScript(url: string | undefined): boolean {
  return url !== undefined && /\.(?:[cm]?ts|[tj]sx)(?:$|[?#])/.test(url);
}
