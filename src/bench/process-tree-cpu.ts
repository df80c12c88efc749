/**
 * CPU time of a whole process tree, read from `/proc`.
 *
 * A server is a master and its workers (and whatever they start); its cost is the sum of all of
 * them. `utime + stime` of `/proc/PID/stat` count only a process's own time, so every descendant
 * is read as well, found by walking parent pids.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { procStatFields } from "../runtime/proc-stat.ts";

/** CPU time of each process of a tree, in clock ticks, keyed by pid. */
export type TreeTicks = Map<number, number>;

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second (`getconf CLK_TCK`, 100 on Linux x86-64). */
export function clockTicksPerSecond(): number {
  ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
  if (!Number.isInteger(ticksPerSecond) || ticksPerSecond <= 0) {
    throw new Error(`Cannot read CPU time: \`getconf CLK_TCK\` returned \`${ticksPerSecond}\``);
  }
  return ticksPerSecond;
}

interface ProcStat {
  ppid: number;
  ticks: number;
}

/** Parses `/proc/PID/stat`; the command name is in parentheses and may itself hold spaces or `)`. */
export function parseProcStat(text: string): ProcStat {
  const fields = procStatFields(text);
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** Reads `root` and every live descendant of it; an empty map if `root` is gone. */
export function readTreeTicks(root: number): TreeTicks {
  const stats = new Map<number, ProcStat>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      stats.set(Number(entry), parseProcStat(readFileSync(`/proc/${entry}/stat`, "utf8")));
    } catch {
      // Exited between readdir and read: not ours to count, or gone too early to matter.
    }
  }
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of stats) {
    const siblings = children.get(ppid);
    if (siblings) siblings.push(pid);
    else children.set(ppid, [pid]);
  }
  const tree: TreeTicks = new Map();
  const pending = stats.has(root) ? [root] : [];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    tree.set(pid, stats.get(pid)!.ticks);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** What a tree spent between two readings, and whether it kept the same processes meanwhile. */
export interface TreeCpuDelta {
  cpuMs: number;
  processes: number;
  /** False when a process appeared or vanished in between: its time is then partly missed. */
  samePids: boolean;
}

/** The CPU time a tree spent between `before` and `after`, in milliseconds. */
export function diffTreeTicks(before: TreeTicks, after: TreeTicks): TreeCpuDelta {
  let ticks = 0;
  for (const [pid, end] of after) ticks += end - (before.get(pid) ?? 0);
  const samePids = before.size === after.size && [...before.keys()].every((pid) => after.has(pid));
  return { cpuMs: (ticks * 1000) / clockTicksPerSecond(), processes: after.size, samePids };
}
