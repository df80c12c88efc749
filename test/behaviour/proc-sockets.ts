/**
 * Another process's sockets, read from /proc the way `ss -lpn` reads them: the socket inodes behind
 * its descriptors, and the listening entries of its network namespace's TCP tables.
 *
 * @module
 */

import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { type ListeningEntry, parseListening } from "../../src/runtime/listening-fds.ts";

/** The inodes of the sockets open in process `pid`. */
export function socketInodes(pid: number): Set<number> {
  const inodes = new Set<number>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(Number(inode));
    } catch {
      // Closed between the listing and the read.
    }
  }
  return inodes;
}

/** The TCP sockets process `pid` listens on. */
export function listeningSockets(pid: number): ListeningEntry[] {
  const inodes = socketInodes(pid);
  const tables = [
    ...parseListening(readFileSync(`/proc/${pid}/net/tcp`, "utf8"), 4),
    ...parseListening(readFileSync(`/proc/${pid}/net/tcp6`, "utf8"), 6),
  ];
  return tables.filter((entry) => inodes.has(entry.inode));
}
