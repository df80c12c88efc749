/**
 * Watching a tree for `--reload`, written once: walk it, watch each directory that is not ignored
 * with the runtime's own non-recursive watcher, and start watching directories as they appear.
 *
 * One watch per directory, not a recursive watch of the root: Node 20's recursive `fs.watch` on Linux
 * is emulated in JavaScript and polls every file, and a recursive inotify watch would descend into
 * `node_modules` too. With `node_modules` and dot-directories never entered, a tree of 10,000 files
 * costs one inotify watch per directory and no CPU while nothing changes.
 *
 * @module
 */

import { readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import type { WatchFilesOptions } from "../core/runtime.ts";

/** A runtime's watcher of one directory's entries (not below): calls `onEvent` with an entry's name. */
export type WatchDirectory = (directory: string, onEvent: (name: string | null) => void, onError: (error: unknown) => void) => () => void;

/** Most directories watched, so a root pointed at `/` by mistake fails loudly instead of exhausting inotify. */
export const MAX_WATCHED_DIRECTORIES = 20_000;

/**
 * Watches `paths` with `watchDirectory`: a directory with every directory under it that `ignore`
 * allows, a file through its directory (editors save by renaming a new file over the old one, which
 * a watch on the file itself would lose). Returns a function that stops every watcher.
 */
export function watchTree(paths: readonly string[], options: WatchFilesOptions, watchDirectory: WatchDirectory): () => void {
  const watchers = new Map<string, () => void>();
  // A directory watched only for some of its files (extra files): the names wanted in it.
  const onlyNames = new Map<string, Set<string>>();
  // Directories watched as part of a tree, whose every entry counts.
  const treeDirectories = new Set<string>();
  let stopped = false;
  let warnedLimit = false;
  const report = (message: string) => options.onError?.(message);

  const watch = (directory: string) => {
    if (stopped || watchers.has(directory)) return;
    if (watchers.size >= MAX_WATCHED_DIRECTORIES) {
      if (!warnedLimit) report(`Not watching more than ${MAX_WATCHED_DIRECTORIES} directories; ignore some with --reload-ignore`);
      warnedLimit = true;
      return;
    }
    try {
      watchers.set(directory, watchDirectory(directory, (name) => onEvent(directory, name), (error) => onWatchError(directory, error)));
    } catch (error) {
      report(`Cannot watch ${directory}: ${(error as Error).message}`);
    }
  };
  const onWatchError = (directory: string, error: unknown) => {
    // A directory removed takes its watcher with it; its parent's watcher reports the removal.
    watchers.get(directory)?.();
    watchers.delete(directory);
    if (!isDirectory(directory)) return;
    report(`Stopped watching ${directory}: ${(error as Error).message ?? String(error)}`);
  };
  const walk = (directory: string) => {
    if (options.ignore(directory)) return;
    treeDirectories.add(directory);
    watch(directory);
    let entries;
    try {
      entries = readdirSync(directory, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) walk(join(directory, entry.name));
    }
  };
  const onEvent = (directory: string, name: string | null) => {
    if (stopped) return;
    const wanted = onlyNames.get(directory);
    if (wanted) {
      if (name !== null && wanted.has(name)) options.onChange([join(directory, name)]);
      if (!treeDirectories.has(directory)) return;
    }
    const path = name === null ? directory : join(directory, name);
    if (options.ignore(path)) return;
    if (name !== null && treeDirectories.has(path)) {
      // A watched directory removed, replaced or moved: its watchers may watch nothing any more.
      unwatchBelow(path);
    }
    // A directory created (or moved in) brings its own subtree.
    if (name !== null && !watchers.has(path) && isDirectory(path)) walk(path);
    options.onChange([path]);
  };

  const unwatchBelow = (top: string) => {
    for (const directory of [...treeDirectories]) {
      if (directory !== top && !directory.startsWith(`${top}${sep}`)) continue;
      watchers.get(directory)?.();
      watchers.delete(directory);
      treeDirectories.delete(directory);
    }
  };

  for (const given of paths) {
    const path = resolve(given);
    if (isDirectory(path)) {
      walk(path);
    } else {
      const directory = dirname(path);
      const names = onlyNames.get(directory) ?? new Set<string>();
      names.add(basename(path));
      onlyNames.set(directory, names);
      watch(directory);
    }
  }
  return () => {
    stopped = true;
    for (const stop of watchers.values()) stop();
    watchers.clear();
  };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
