/**
 * Resident memory of a server's processes, from `/proc/PID/status`.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { liveChildren } from "./proc-children.ts";

/** Resident set sizes in bytes: the master (or launcher) and each of its direct children. */
export interface TreeRss {
  master: number;
  workers: number[];
}

/** The RSS of `pid` in bytes (`VmRSS`), or undefined when it is gone. */
export function readRss(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The RSS of `master` and of each live child of it, children in pid order. */
export function readTreeRss(master: number): TreeRss {
  const workers = liveChildren(master).map(readRss).filter((rss): rss is number => rss !== undefined);
  return { master: readRss(master) ?? 0, workers };
}
