/**
 * Preparing Linux for workers that share a port with SO_REUSEPORT (Bun, Deno).
 *
 * With SO_REUSEPORT every worker owns its own accept queue. When a worker closes its listener, the
 * kernel resets the connections still waiting in that queue, unless `net.ipv4.tcp_migrate_req` is 1
 * (Linux 5.14+), which moves them to another listener of the same port. mgr retires a worker only
 * after its replacement listens, so with the setting on, a swap loses nothing.
 *
 * @module
 */

import { readFileSync, writeFileSync } from "node:fs";
import type { PreflightNote } from "../core/runtime.ts";

/** Where Linux exposes the setting. */
export const TCP_MIGRATE_REQ = "/proc/sys/net/ipv4/tcp_migrate_req";

/** File access, injectable for tests. */
export interface SysctlFiles {
  read(path: string): string;
  write(path: string, value: string): void;
  /** True when `/proc/sys/net` exists at all, i.e. this is Linux. */
  isLinux(): boolean;
}

const realFiles: SysctlFiles = {
  read: (path) => readFileSync(path, "utf8"),
  write: (path, value) => writeFileSync(path, value),
  isLinux: () => {
    try {
      readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8");
      return true;
    } catch {
      return false;
    }
  },
};

/**
 * Turns `net.ipv4.tcp_migrate_req` on where permitted; otherwise returns a warning with the fix.
 * Returns nothing to say when it is already on, or when this is not Linux.
 */
export function prepareReusePort(files: SysctlFiles = realFiles): PreflightNote[] {
  let value: string;
  try {
    value = files.read(TCP_MIGRATE_REQ).trim();
  } catch {
    if (!files.isLinux()) return [];
    return [{
      level: "warning",
      message: "This kernel cannot migrate queued connections between SO_REUSEPORT listeners " +
        "(net.ipv4.tcp_migrate_req needs Linux 5.14+): a worker swap may reset connections not yet accepted",
    }];
  }
  if (value === "1") return [];
  try {
    files.write(TCP_MIGRATE_REQ, "1");
    return [{
      level: "info",
      message: "Set net.ipv4.tcp_migrate_req=1, so connections queued on a worker that stops listening " +
        "move to another worker instead of being reset",
    }];
  } catch {
    return [{
      level: "warning",
      message: "net.ipv4.tcp_migrate_req is 0: when a worker stops listening, connections still queued on it " +
        "are reset. Fix: run `sysctl -w net.ipv4.tcp_migrate_req=1` as root (persist it in /etc/sysctl.d/)",
    }];
  }
}
