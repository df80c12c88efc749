/**
 * One directory watched with `Deno.watchFs`, not recursively: the shared walker (file-watch.ts)
 * decides which directories are worth a watch.
 *
 * @module
 */

import { basename } from "node:path";
import type { WatchDirectory } from "../../src/runtime/file-watch.ts";

/** The slice of `Deno.watchFs` used here. */
interface DenoFsWatcher extends AsyncIterable<{ kind: string; paths: string[] }> {
  close(): void;
}

const { Deno } = globalThis as unknown as {
  Deno: { watchFs(paths: string, options: { recursive: boolean }): DenoFsWatcher };
};

/** Watches one directory's entries with `Deno.watchFs`. */
export const watchDirectoryWithDeno: WatchDirectory = (directory, onEvent, onError) => {
  const watcher = Deno.watchFs(directory, { recursive: false });
  let closed = false;
  void (async () => {
    try {
      for await (const event of watcher) {
        for (const path of event.paths) onEvent(path === directory ? null : basename(path));
      }
    } catch (error) {
      if (!closed) onError(error);
    }
  })();
  return () => {
    closed = true;
    try {
      watcher.close();
    } catch {
      // Already closed, with its directory.
    }
  };
};
