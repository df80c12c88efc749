/**
 * A master started by `npx mgr` stops when npx is gone.
 *
 * npx runs the command through `sh -c`: a TERM sent to npx (by `kill`, `docker stop`, a service
 * manager) ends npx and that shell and never reaches the master, and a KILL ends npx alone; either
 * way the master would serve on as an orphan holding the port. npx waits for its command to exit, so
 * while it and the shell between live, each stays the parent of the next: a master that finds that
 * chain broken has lost npx to a signal. It stops gracefully, as the TERM asked, and says how to run
 * it so that signals reach it.
 *
 * Only npx (`npm_command=exec`): a script run by `npm start` may start the master in the background
 * on purpose (`nohup mgr … &`) and exit, which looks the same from here. Such a script writes
 * `exec mgr …`, so that npm's TERM reaches the master itself.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import { procStatFields } from "../runtime/proc-stat.ts";

/** How often the chain is looked at: a stop that follows npx's within a second is soon enough. */
const CHECK_EVERY_MS = 1_000;
/** How far up npx is looked for: the master's parent is npx, or the shell npx started. */
const MAX_DEPTH = 3;

/** What the watch reads of the process tree; /proc where there is one. */
export interface ProcessTree {
  /** This process's parent pid now. */
  ownParent(): number;
  /** The parent pid of `pid` now, or undefined when it is gone (or cannot be read). */
  parentOf(pid: number): number | undefined;
  /** The name of `pid` (`/proc/PID/comm`; npm sets its own to `npm exec …`), or undefined. */
  nameOf(pid: number): string | undefined;
}

/** The process tree as /proc shows it; without /proc, only this process's own parent is known. */
export const PROC_TREE: ProcessTree = {
  ownParent: () => process.ppid,
  parentOf(pid) {
    try {
      return Number(procStatFields(readFileSync(`/proc/${pid}/stat`, "utf8"))[1]);
    } catch {
      return undefined;
    }
  },
  nameOf(pid) {
    try {
      return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    } catch {
      return undefined;
    }
  },
};

/** Options of {@linkcode watchNpmParent}. */
export interface NpmParentOptions {
  /** The master's environment as it began: npm sets `npm_command` in what it runs. */
  env: Record<string, string | undefined>;
  tree: ProcessTree;
  clock: Clock;
  logger: Logger;
  /** Stops the master gracefully. */
  stop: () => void;
}

/** One link of the chain from the master up to npx: `pid` (null: this process), whose parent must stay `parent`. */
interface Link {
  pid: number | null;
  parent: number;
}

/**
 * Watches the chain from the master up to npx when npx started it; returns the function that stops
 * watching. Not for a master started by another master's USR2: its parent, the old master, is meant
 * to exit.
 */
export function watchNpmParent(options: NpmParentOptions): () => void {
  if (options.env.npm_command !== "exec") return () => {};
  const { tree } = options;
  const chain = chainToNpx(tree);
  if (chain === undefined) {
    options.logger.debug("Started by npx, but npx is not among this master's parents: its exit is not watched");
    return () => {};
  }
  let timer: unknown;
  const check = () => {
    const broken = chain.some((link) => (link.pid === null ? tree.ownParent() : tree.parentOf(link.pid)) !== link.parent);
    if (!broken) {
      timer = options.clock.setTimeout(check, CHECK_EVERY_MS);
      return;
    }
    options.logger.warning(
      "The npx that started this master has exited without passing its signal on: stopping gracefully. " +
        "Run mgr without npx (node_modules/.bin/mgr …) so that signals reach the master",
    );
    options.stop();
  };
  timer = options.clock.setTimeout(check, CHECK_EVERY_MS);
  return () => options.clock.clearTimeout(timer);
}

/**
 * The links from the master up to npx (the master's own first, then the shell's), or undefined when
 * npx is not found within a few parents.
 */
function chainToNpx(tree: ProcessTree): Link[] | undefined {
  const chain: Link[] = [];
  let child: number | null = null;
  let parent = tree.ownParent();
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    chain.push({ pid: child, parent });
    if (tree.nameOf(parent)?.startsWith("npm")) return chain;
    const next = tree.parentOf(parent);
    if (next === undefined) return undefined;
    [child, parent] = [parent, next];
  }
  return undefined;
}

/**
 * The line a USR2 logs when npx started this master: the new master is this one's child, outlives
 * npx (which exits with this master), and is not watched; undefined otherwise.
 */
export function npxUpgradeWarning(env: Record<string, string | undefined>): string | undefined {
  if (env.npm_command !== "exec") return undefined;
  return "This master was started by npx: the new master outlives npx, which exits with this master, and npx's " +
    "signals will not reach it. Upgrade in place a master run without npx (node_modules/.bin/mgr …)";
}
