/**
 * A master started through npm (`npx mgr`, `npm start`) stops when npm is gone.
 *
 * npm runs a package's command through `sh -c`: a TERM sent to npm (by `kill`, `docker stop`, a
 * service manager) ends npm and that shell, and never reaches the master, which would serve on as an
 * orphan holding the port. npm waits for its command to exit, so a master whose parent changes while
 * npm started it has lost npm to a signal: it stops gracefully, as that TERM asked, and says how to
 * run it so that signals reach it.
 *
 * @module
 */

import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";

/** How often the parent is looked at: a stop that follows npm's within a second is soon enough. */
const CHECK_EVERY_MS = 1_000;

/** Options of {@linkcode watchNpmParent}. */
export interface NpmParentOptions {
  /** The master's environment as it began: npm sets `npm_command` in what it runs. */
  env: Record<string, string | undefined>;
  /** The parent's pid now (`process.ppid`, read each time). */
  parentPid: () => number;
  clock: Clock;
  logger: Logger;
  /** Stops the master gracefully. */
  stop: () => void;
}

/**
 * Watches the master's parent when npm started it; returns the function that stops watching. Not
 * for a master started by another master's USR2: its parent, the old master, is meant to exit.
 */
export function watchNpmParent(options: NpmParentOptions): () => void {
  const command = options.env.npm_command;
  if (command === undefined) return () => {};
  const parent = options.parentPid();
  let timer: unknown;
  const check = () => {
    const now = options.parentPid();
    if (now === parent) {
      timer = options.clock.setTimeout(check, CHECK_EVERY_MS);
      return;
    }
    const started = command === "exec" ? "npx" : `npm ${command}`;
    options.logger.warning(
      `The ${started} that started this master has exited without passing its signal on: stopping gracefully. ` +
        "Run mgr without npm (node_modules/.bin/mgr …) so that signals reach the master",
    );
    options.stop();
  };
  timer = options.clock.setTimeout(check, CHECK_EVERY_MS);
  return () => options.clock.clearTimeout(timer);
}
