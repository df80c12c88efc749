/**
 * `--reload`: watch the app's directory tree, the extra files and the config file through the
 * runtime's own watcher, and reload the pool when they change.
 *
 * @module
 */

import { dirname, isAbsolute, relative, resolve } from "node:path";
import type { Config } from "../core/config.ts";
import type { Logger } from "../core/logger.ts";
import type { LifecycleEvent } from "../core/lifecycle-event.ts";
import { ReloadWatch } from "../core/reload-watch.ts";
import type { Runtime } from "../core/runtime.ts";
import { createWatchIgnore } from "../core/watch-ignore.ts";
import { parseAppReference } from "../runtime/app-reference.ts";

/** What {@linkcode watchForReload} needs of the master. */
export interface WatchForReloadOptions {
  runtime: Runtime;
  config: Config;
  logger: Logger;
  /** The config file, watched too: a change to it is read by the reload. */
  configFile?: string | null;
  /** Starts a reload, as SIGHUP does. */
  reload: () => void;
}

/** A running watch: feed it the pool's lifecycle; `stop` ends the watching. */
export interface ReloadWatcher {
  onLifecycle(event: LifecycleEvent): void;
  stop(): void;
}

/**
 * Starts watching for `--reload`; returns undefined (after saying why) where the runtime cannot watch.
 */
export function watchForReload(options: WatchForReloadOptions): ReloadWatcher | undefined {
  const { runtime, config, logger } = options;
  if (!runtime.watchFiles) {
    logger.warning(`--reload is not available on ${runtime.name}: it cannot watch files`);
    return undefined;
  }
  const root = dirname(resolve(parseAppReference(config.app).path));
  const extra = config.reloadExtraFiles.map((path) => resolve(path));
  const paths = [root, ...extra, ...(options.configFile ? [resolve(options.configFile)] : [])];
  const roots = [root, ...extra];
  const ignoredBelowRoot = createWatchIgnore(config.reloadIgnore);
  // What mgr itself writes: an access log beside the app must not reload it at every request.
  const ownFiles = new Set(
    [config.accessLog, config.errorLog, config.pidfile].filter((path): path is string => path !== null && path !== "-").map((path) => resolve(path)),
  );
  const ignore = (path: string) => {
    if (ownFiles.has(path)) return true;
    // Relative to the watched root it is under, so the root itself may sit in a dot-directory.
    for (const base of roots) {
      const rel = relative(base, path);
      if (rel === "") return false;
      if (!rel.startsWith("..") && !isAbsolute(rel)) return ignoredBelowRoot(rel.split("\\").join("/"));
    }
    return false;
  };
  const watch = new ReloadWatch({
    clock: runtime.clock,
    reload: () => options.reload(),
    log: (message) => logger.info(message),
  });
  const shown = (path: string) => relative(root, path) || path;
  const stopWatching = runtime.watchFiles(paths, {
    ignore,
    onChange: (changed) => watch.changed(changed.map(shown)),
    onError: (message) => logger.warning(message),
  });
  logger.info(`Watching ${root}${paths.length > 1 ? ` and ${paths.length - 1} more` : ""} for changes (--reload)`);
  return {
    onLifecycle: (event) => watch.onLifecycle(event),
    stop() {
      watch.stop();
      stopWatching();
    },
  };
}
