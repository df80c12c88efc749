/**
 * The machine a bench ran on, and how its CPUs are split between the load generator and the servers.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, platform, release, totalmem, type as osType } from "node:os";
import type { MachineReport } from "./report.ts";
import type { FoundRuntime } from "./runtimes.ts";

/** Describes this machine for the report. */
export function describeMachine(runtimes: FoundRuntime[], loadGenerator: { name: string; version: string }, pinning: MachineReport["pinning"]): MachineReport {
  return {
    cpuModel: cpus()[0]?.model.trim() || "unknown CPU",
    cpus: availableParallelism(),
    os: `${osType()} ${platform()}`,
    kernel: release(),
    memoryBytes: totalmem(),
    runtimes: runtimes.map(({ name, version, executable }) => ({ name, version, executable })),
    loadGenerator,
    pinning,
  };
}

/**
 * On Linux with at least two CPUs this process may use and `taskset` installed: the load generator
 * gets the first CPU and the servers the others, so that the two never compete for a core. Null
 * otherwise (the report says the figures were taken unpinned).
 */
export function choosePinning(): MachineReport["pinning"] {
  if (platform() !== "linux") return null;
  const allowed = allowedCpus();
  if (allowed.length < 2 || !hasTaskset()) return null;
  return { loadGeneratorCpus: allowed.slice(0, 1), serverCpus: allowed.slice(1) };
}

/** The CPUs this process may run on, from `Cpus_allowed_list` in `/proc/self/status` (`0-3,6`). */
export function allowedCpus(): number[] {
  try {
    const list = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? "";
    return list.split(",").flatMap((range) => {
      const [low, high = low] = range.split("-").map(Number);
      return low === undefined || Number.isNaN(low) ? [] : Array.from({ length: high! - low + 1 }, (_, i) => low + i);
    });
  } catch {
    return [];
  }
}

function hasTaskset(): boolean {
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
