/**
 * The command line and directory that start a master as this one was started, for the new master of
 * a USR2 upgrade.
 *
 * @module
 */

import { readFileSync, statSync } from "node:fs";
import { isAbsolute } from "node:path";
import process from "node:process";
import type { RuntimeName } from "../core/runtime.ts";

/**
 * The directory a new master starts in: `$PWD` where it names this process's working directory, as
 * Gunicorn's does. Started in a `current` symlink, the kernel's name for the directory is the release
 * it resolved to then; `$PWD` keeps the symlink, so a deploy that switches it starts the new release.
 */
export function masterDirectory(env: Record<string, string | undefined>, cwd = process.cwd()): string {
  const pwd = env.PWD;
  if (!pwd || !isAbsolute(pwd)) return cwd;
  try {
    const [named, actual] = [statSync(pwd), statSync(cwd)];
    return named.ino === actual.ino && named.dev === actual.dev ? pwd : cwd;
  } catch {
    return cwd;
  }
}

/**
 * This process's command line as it was run, from Linux's /proc; read as this module loads, before
 * the master's title overwrites it there. Undefined where there is no /proc.
 */
const STARTED_AS = readCommandLine();

function readCommandLine(): string[] | undefined {
  try {
    return readFileSync("/proc/self/cmdline", "utf8").split("\0").slice(0, -1);
  } catch {
    return undefined;
  }
}

/**
 * The command that starts a master as this one was started: same runtime binary, flags and arguments.
 * Where /proc kept it, as it was typed, relative paths included (they resolve in the new release, see
 * masterDirectory): Bun, and Deno for a relative path, give the entry with its symlinks resolved, into
 * the old release, and Deno keeps no record of its own flags.
 */
export function masterCommand(runtime: RuntimeName, startedAs = STARTED_AS): string[] {
  const [, entry = "mgr", ...args] = process.argv;
  // Trusted only if it ends with this process's arguments: a title set by a flag (`node --title`) has replaced it.
  const typed = startedAs !== undefined && startedAs.length >= args.length + 2 &&
    args.every((arg, i) => startedAs[startedAs.length - args.length + i] === arg);
  // The binary by its path: PATH may differ, or name another version, by then.
  if (typed) return [process.execPath, ...startedAs.slice(1)];
  // Deno keeps no record of its own flags; mgr needs every permission (-A), as the README says.
  if (runtime === "deno") return [process.execPath, "run", "-A", entry, ...args];
  return [process.execPath, ...process.execArgv, entry, ...args];
}
