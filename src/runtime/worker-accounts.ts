/**
 * What the master does for workers that run as another user (`--user`, `--group`, resolved by
 * run-as.ts before any worker starts): hand the workers the log files they write (they open
 * them themselves, as that user, so each file must be theirs; the master, the owner of the
 * directory, creates a file a rotation moved away before the workers reopen it, as Gunicorn does).
 *
 * @module
 */

import { closeSync, constants, fchownSync, openSync } from "node:fs";
import type { RunAs } from "./run-as.ts";

/**
 * Creates each log file of `paths` that is missing and gives it to `account` (`-` and null are the
 * standard streams: nothing to do). Returns a line per file it could not hand over.
 */
export function handOverLogFiles(account: RunAs | undefined, paths: (string | null)[]): string[] {
  if (account === undefined) return [];
  const problems: string[] = [];
  for (const path of paths) {
    if (path === null || path === "-") continue;
    try {
      // The file itself, never what a link at its path points to: the workers' account may be able
      // to plant one there, and the master would give it any file it names.
      const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
      try {
        fchownSync(fd, account.uid, account.gid);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      problems.push(`Cannot give the log file ${path} to uid ${account.uid}: ${(error as Error).message}`);
    }
  }
  return problems;
}
