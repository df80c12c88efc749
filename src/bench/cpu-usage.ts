/**
 * How busy one CPU was, from `/proc/stat`: the machine is shared, and a figure taken while something
 * else ran on the server's CPU says less about the server than about the neighbour.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { clockTicksPerSecond } from "./process-tree-cpu.ts";
import { procStatFields } from "../runtime/proc-stat.ts";

/** One CPU's counters from `/proc/stat`, in clock ticks. */
export interface CpuTimes {
  busy: number;
  total: number;
}

/** Reads the counters of CPU `cpu`. */
export function readCpuTimes(cpu: number): CpuTimes {
  const line = readFileSync("/proc/stat", "utf8").split("\n").find((l) => l.startsWith(`cpu${cpu} `));
  if (!line) throw new Error(`Cannot read /proc/stat: no line for cpu${cpu}`);
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy, total: busy + idle! + iowait! };
}

/**
 * CPU time, in clock ticks, of this process's children that have exited and been waited for
 * (cutime + cstime of `/proc/self/stat`). wrk is a direct child (taskset execs it), so the growth of
 * this figure across one wrk run, read after its exit, is wrk's own CPU time.
 */
export function readReapedChildrenTicks(): number {
  const text = readFileSync("/proc/self/stat", "utf8");
  const fields = procStatFields(text);
  return Number(fields[13]) + Number(fields[14]);
}

/** Milliseconds a CPU was busy between two readings, by anything: our server, the kernel, neighbours. */
export function busyMsBetween(before: CpuTimes, after: CpuTimes): number {
  return ((after.busy - before.busy) * 1000) / clockTicksPerSecond();
}
