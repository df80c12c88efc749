/**
 * One directory watched with `node:fs`'s `watch`, as Node and Bun both provide it (inotify on Linux,
 * FSEvents or kqueue on macOS, ReadDirectoryChangesW on Windows).
 *
 * @module
 */

import { watch } from "node:fs";
import type { WatchDirectory } from "./file-watch.ts";

/** Watches one directory's entries with `fs.watch`; the watcher does not keep the process alive. */
export const watchDirectoryWithNodeFs: WatchDirectory = (directory, onEvent, onError) => {
  const watcher = watch(directory, { persistent: false }, (_event, name) => onEvent(name === null ? null : String(name)));
  watcher.on("error", onError);
  return () => watcher.close();
};
