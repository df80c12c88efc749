/**
 * `--reload`'s trigger: file changes come in bursts (an editor's save is a write, a rename and a
 * chmod; a `git checkout` is hundreds of files), so they are gathered until the tree has been quiet
 * for {@linkcode RELOAD_DEBOUNCE_MS}, and then one reload runs, the same readiness-gated reload as
 * SIGHUP. A change during a reload is not lost: one more reload follows it.
 *
 * @module
 */

import type { Clock, TimerId } from "./clock.ts";
import type { LifecycleEvent } from "./lifecycle-event.ts";

/**
 * How long the watched tree must be quiet before a reload starts, in milliseconds: long enough to
 * take an editor's write-rename-chmod as one save, short next to the 2 s a developer waits.
 */
export const RELOAD_DEBOUNCE_MS = 50;

/** How many changed paths the reload's log line names before it says how many more. */
const NAMED_PATHS = 3;

/** Options of {@linkcode ReloadWatch}. */
export interface ReloadWatchOptions {
  clock: Clock;
  /** Starts a reload (the supervisor's `reload()`), told which paths changed. */
  reload: (changed: string[]) => void;
  /** Says what is about to happen, e.g. `Reloading: app.ts changed`. */
  log: (message: string) => void;
  debounceMs?: number;
}

/**
 * Debounces file changes into reloads, one at a time. Feed it changes with {@linkcode changed} and
 * the pool's lifecycle with {@linkcode onLifecycle}, which says when a reload has finished.
 *
 * @example
 * ```ts
 * const watch = new ReloadWatch({ clock, reload: () => supervisor.reload(), log: (m) => logger.info(m) });
 * runtime.watchFiles?.([root], { ignore, onChange: (paths) => watch.changed(paths) });
 * ```
 */
export class ReloadWatch {
  readonly #options: ReloadWatchOptions;
  readonly #pending = new Set<string>();
  #timer: TimerId | undefined;
  #reloading = false;
  #stopped = false;

  constructor(options: ReloadWatchOptions) {
    this.#options = options;
  }

  /** Paths changed: a reload starts once no more change for the debounce time. */
  changed(paths: readonly string[]): void {
    if (this.#stopped || paths.length === 0) return;
    for (const path of paths) this.#pending.add(path);
    const { clock } = this.#options;
    if (this.#timer !== undefined) clock.clearTimeout(this.#timer);
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      this.#settle();
    }, this.#options.debounceMs ?? RELOAD_DEBOUNCE_MS);
  }

  /** The pool's lifecycle: a reload (ours or a SIGHUP) is running until `reloaded`. */
  onLifecycle(event: LifecycleEvent): void {
    if (event.type === "reloading") this.#reloading = true;
    else if (event.type === "reloaded") {
      this.#reloading = false;
      // Changes that came during the reload were waiting for it.
      if (this.#timer === undefined) this.#settle();
    } else if (event.type === "stopping") this.stop();
  }

  /** No reload from now on. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending.clear();
  }

  #settle(): void {
    if (this.#stopped || this.#reloading || this.#pending.size === 0) return;
    const changed = [...this.#pending];
    this.#pending.clear();
    this.#reloading = true;
    this.#options.log(`Reloading: ${describeChanged(changed)} changed`);
    this.#options.reload(changed);
  }
}

/** `app.ts`, `a.ts, b.ts`, `a.ts, b.ts, c.ts and 12 more`. */
export function describeChanged(paths: readonly string[]): string {
  const named = paths.slice(0, NAMED_PATHS).join(", ");
  return paths.length > NAMED_PATHS ? `${named} and ${paths.length - NAMED_PATHS} more` : named;
}
