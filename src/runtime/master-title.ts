/**
 * The master's process title, and how to recognise it in another process.
 *
 * Measured on Linux: Node and Deno show the title in both /proc/PID/comm (cut to 15 bytes) and
 * /proc/PID/cmdline (Node cuts it to the length of the original command line); Bun shows neither
 * (`comm` stays `bun`, `cmdline` the original command), so a Bun master is recognised only by its
 * control socket (see the pidfile wiring in src/cli/serve.ts).
 *
 * @module
 */

import { readFileSync } from "node:fs";

/** What the master's process title starts with; 11 bytes, so it survives `comm`'s 15. */
export const MASTER_TITLE = "mgr: master";

/** The master's process title, with `--name` when given. */
export function masterTitle(name: string | null): string {
  return `${MASTER_TITLE}${name ? ` [${name}]` : ""}`;
}

/**
 * True when /proc shows `pid` with the master's title. False when it shows something else, or
 * cannot be read (no /proc, the process is gone, hidepid).
 */
export function hasMasterTitle(pid: number, read: (path: string) => string = readProc): boolean {
  for (const file of ["comm", "cmdline"]) {
    try {
      if (read(`/proc/${pid}/${file}`).startsWith(MASTER_TITLE)) return true;
    } catch {
      // Not readable: try the next, then answer false.
    }
  }
  return false;
}

function readProc(path: string): string {
  return readFileSync(path, "utf8");
}
