/**
 * Finding which of this process's file descriptors is the listening socket of a TCP address, on
 * Linux, from /proc: the master hands it to a new master at a USR2 upgrade. Node's cluster master
 * creates its listening sockets itself and never says under which number, so they are found the way
 * `ss -lpn` finds them: the socket inodes behind /proc/self/fd, matched against the listening entries
 * of /proc/net/tcp and /proc/net/tcp6.
 *
 * @module
 */

import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { isIP } from "node:net";
import type { TcpAddress } from "../core/protocol.ts";

/** A listening TCP socket, as /proc/net/tcp lists it. */
export interface ListeningEntry {
  ip: string;
  port: number;
  inode: number;
}

/** What {@linkcode findListeningFd} reads; the real /proc unless a test says otherwise. */
export interface ProcReader {
  /** The descriptor numbers open in this process. */
  fds(): number[];
  /** What descriptor `fd` is, e.g. `socket:[12345]`. */
  link(fd: number): string;
  /** The text of `/proc/net/tcp` or `/proc/net/tcp6`. */
  table(name: "tcp" | "tcp6"): string;
}

const TCP_LISTEN = "0A";

/** The real /proc of this process. */
export const PROC: ProcReader = {
  fds: () => readdirSync("/proc/self/fd").map(Number).filter(Number.isInteger),
  link: (fd) => readlinkSync(`/proc/self/fd/${fd}`),
  table: (name) => readFileSync(`/proc/net/${name}`, "utf8"),
};

/**
 * The descriptor of this process that listens on `address`, or undefined when none does (or there is
 * no /proc to read). A host name matches any listening IP of the port; an IP literal matches itself.
 */
export function findListeningFd(address: TcpAddress, proc: ProcReader = PROC): number | undefined {
  let entries: ListeningEntry[];
  const sockets = new Map<number, number>();
  try {
    entries = [...parseListening(proc.table("tcp"), 4), ...parseListening(proc.table("tcp6"), 6)];
    for (const fd of proc.fds()) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(proc.link(fd))?.[1];
        if (inode) sockets.set(Number(inode), fd);
      } catch {
        // Closed between the listing and the read.
      }
    }
  } catch {
    return undefined;
  }
  const wanted = isIP(address.host) ? expandIp(address.host) : undefined;
  const ours = entries.filter((entry) => entry.port === address.port && sockets.has(entry.inode));
  const match = ours.find((entry) => wanted === undefined || expandIp(entry.ip) === wanted);
  return match && sockets.get(match.inode);
}

/** The listening entries of a /proc/net/tcp (`family` 4) or tcp6 (`family` 6) table. */
export function parseListening(text: string, family: 4 | 6): ListeningEntry[] {
  const entries: ListeningEntry[] = [];
  for (const line of text.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || fields[3] !== TCP_LISTEN) continue;
    const [ipHex, portHex] = fields[1]!.split(":") as [string, string];
    entries.push({ ip: family === 4 ? ipv4(ipHex) : ipv6(ipHex), port: parseInt(portHex, 16), inode: Number(fields[9]) });
  }
  return entries;
}

/** /proc writes an address as 32-bit words in the machine's byte order (little-endian here). */
function words(hex: string): number[][] {
  const result: number[][] = [];
  for (let i = 0; i < hex.length; i += 8) {
    const word = hex.slice(i, i + 8);
    result.push([6, 4, 2, 0].map((j) => parseInt(word.slice(j, j + 2), 16)));
  }
  return result;
}

function ipv4(hex: string): string {
  return words(hex)[0]!.join(".");
}

function ipv6(hex: string): string {
  const bytes = words(hex).flat();
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(":");
}

/** An IP in one spelling per address: IPv4 dotted, IPv6 as eight unpadded hex groups. */
function expandIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head, tail] = ip.includes("::") ? ip.split("::") as [string, string] : [ip, undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  // An IPv4 tail (::ffff:1.2.3.4) is two groups.
  const spread = (groups: string[]) =>
    groups.flatMap((group) => {
      if (!group.includes(".")) return [group];
      const [a, b, c, d] = group.split(".").map(Number) as [number, number, number, number];
      return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    });
  const l = spread(left);
  const r = spread(right);
  const middle = tail === undefined ? [] : Array(8 - l.length - r.length).fill("0");
  return [...l, ...middle, ...r].map((group) => parseInt(group, 16).toString(16)).join(":");
}
