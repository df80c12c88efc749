/**
 * A process's live children and its own CPU time, read from `/proc` without scanning every process.
 *
 * @module
 */

import { readdirSync, readFileSync } from "node:fs";
import { procStatFields } from "../runtime/proc-stat.ts";
import { parseProcStat } from "./process-tree-cpu.ts";

/**
 * The pids of the live (not zombie) children of `pid`, ascending; empty if `pid` is gone.
 *
 * Reads `/proc/PID/task/TID/children` (each thread lists the children it forked; Bun and Deno may
 * fork from threads other than the main one) rather than every `/proc/N/stat`: a chaos run polls
 * this every 20 ms, and a full scan of `/proc` would cost the load generator CPU it needs.
 */
export function liveChildren(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const children = new Set<number>();
  for (const task of tasks) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8");
    } catch {
      continue; // The thread ended between readdir and read.
    }
    for (const child of text.split(" ")) if (child.trim()) children.add(Number(child));
  }
  return [...children].filter((child) => {
    const state = processState(child);
    return state !== undefined && state !== "Z";
  }).sort((a, b) => a - b);
}

/** The one-letter state of `pid` (`R`, `S`, `Z`…), or undefined if it is gone. */
export function processState(pid: number): string | undefined {
  try {
    return procStatFields(readFileSync(`/proc/${pid}/stat`, "utf8"))[0];
  } catch {
    return undefined;
  }
}

/** CPU time `pid` itself has used (user + system, children excluded), in clock ticks; undefined if gone. */
export function ownCpuTicks(pid: number): number | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8")).ticks;
  } catch {
    return undefined;
  }
}
