/**
 * Masters a test starts that are not the harness's children: the new master of a USR2 (the old
 * master's child), or one run under a terminal. Remembered here, found through their pidfiles, and
 * killed by pid, with their workers, after each test.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { childPids, type Master, waitFor } from "./harness.ts";

const strays = new Set<number>();

/** Remembers `pid` for {@linkcode killStrayMasters}. */
export function addStrayMaster(pid: number): void {
  strays.add(pid);
}

/** Kills every remembered master and its workers; call it from `afterEach`. */
export function killStrayMasters(): void {
  for (const pid of strays) {
    for (const worker of childPids(pid)) signal(worker, "SIGKILL");
    signal(pid, "SIGKILL");
  }
  strays.clear();
}

/** Sends `name` to `pid`, if it is still there. */
export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** The pid a pidfile holds, or undefined when there is none. */
export function readPid(path: string): number | undefined {
  try {
    return Number(readFileSync(path, "utf8").trim()) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Waits for a pid other than `old` in `pidfile`, remembers it, and waits until it says its pool of
 * `workers` is ready in `log`: the new master writes to the old one's stdout, which it inherited.
 */
export async function waitForNewMaster(log: Master, pidfile: string, old: number, workers = 1): Promise<number> {
  const pid = await waitFor("a new master's pid in the pidfile", () => {
    const found = readPid(pidfile);
    return found !== undefined && found !== old ? found : undefined;
  }, { timeoutMs: 15_000 });
  addStrayMaster(pid);
  await log.waitForLine(new RegExp(`\\[${pid}\\] \\[INFO\\] Ready: ${workers} workers? serving`), 20_000);
  return pid;
}
