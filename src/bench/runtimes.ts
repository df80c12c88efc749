/**
 * Finding the runtimes to compare: in the project's `node_modules/.bin` (where the `bun` and `deno`
 * npm packages put them), then on the PATH.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** The runtimes `mgr bench` can compare, in the order they are shown. */
export const RUNTIMES = ["node", "bun", "deno"] as const;
export type RuntimeName = (typeof RUNTIMES)[number];

/** A runtime that was found, with its version. */
export interface FoundRuntime {
  name: RuntimeName;
  executable: string;
  version: string;
}

/** Runtimes found, and those asked for but not found (with where they were looked for). */
export interface RuntimeSearch {
  found: FoundRuntime[];
  missing: { name: RuntimeName; searched: string[] }[];
}

/** Options of {@linkcode findRuntimes}. */
export interface FindRuntimesOptions {
  /** `PATH` to search. */
  path: string | undefined;
  /** Directories whose `node_modules/.bin` is searched before the PATH, in order. */
  projectDirs: string[];
  /** The executable running this process, used for Node when this is Node. */
  execPath: string;
  /** Whether this process runs on Node (not Bun or Deno, which also set `process.versions.node`). */
  onNode: boolean;
}

/** Looks for each of `wanted`; never throws for a missing one. */
export function findRuntimes(wanted: readonly RuntimeName[], options: FindRuntimesOptions): RuntimeSearch {
  const search: RuntimeSearch = { found: [], missing: [] };
  for (const name of wanted) {
    const dirs = [...options.projectDirs.map((dir) => join(dir, "node_modules", ".bin")), ...(options.path ?? "").split(delimiter).filter(Boolean)];
    const candidates = name === "node" && options.onNode ? [options.execPath] : dirs.map((dir) => join(dir, name));
    const executable = candidates.find(isExecutable);
    const version = executable ? runtimeVersion(executable) : undefined;
    if (executable && version) search.found.push({ name, executable, version });
    else search.missing.push({ name, searched: name === "node" && options.onNode ? candidates : dirs });
  }
  return search;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `v20.1.0` → `20.1.0`; `deno 2.3.4 (…)` → `2.3.4`; undefined when it does not run. */
function runtimeVersion(executable: string): string | undefined {
  try {
    const output = execFileSync(executable, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 10_000 });
    return /(\d+\.\d+\.\d+\S*)/.exec(output)?.[1] ?? output.split("\n")[0]!.trim();
  } catch {
    return undefined;
  }
}
