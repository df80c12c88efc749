/**
 * Noticing that the master is gone by its pid, whatever the IPC channel says.
 *
 * The channel's `disconnect` is the first sign on every runtime, but not a sure one: when the master
 * dies with messages from the worker still unread, the worker's read fails with ECONNRESET rather
 * than reaching end of file, and Deno (2.9) then ends its read loop without `disconnect` or `error`;
 * its worker lived on for good (4 runs in 20 of SIGKILL during boot, measured). A child whose parent
 * died is handed to init or the nearest subreaper, so its parent pid changes: polling it is cheap
 * (one `getppid(2)`) and cannot miss.
 *
 * @module
 */

import { clearInterval, setInterval } from "node:timers";

/**
 * How often a worker compares its parent pid with the one it started with, in milliseconds. The
 * worker budget after a master's death is 2 s (see `PARENT_LOST_EXIT_MS` in worker-loop.ts): half a
 * second to notice leaves the rest for in-flight requests and teardown.
 */
export const PARENT_POLL_INTERVAL_MS = 500;

/** Options of {@linkcode watchParentPid}. */
export interface WatchParentPidOptions {
  /** Reads the current parent pid (`process.ppid`, which every runtime reads afresh). */
  ppid: () => number;
  /** Called once, the first time the parent pid differs from the one read at the start. */
  onLost: () => void;
  intervalMs?: number;
  /** Calls `fn` every `ms` without keeping the process alive; returns a function that stops it. */
  every?: (fn: () => void, ms: number) => () => void;
}

/**
 * Watches this process's parent pid and calls `onLost` once it changes. Returns a function that
 * stops watching.
 *
 * @example
 * ```ts
 * const stop = watchParentPid({ ppid: () => process.ppid, onLost: () => process.exit(0) });
 * ```
 */
export function watchParentPid(options: WatchParentPidOptions): () => void {
  const { ppid, onLost, intervalMs = PARENT_POLL_INTERVAL_MS, every = unrefInterval } = options;
  const original = ppid();
  const stop = every(() => {
    if (ppid() === original) return;
    stop();
    onLost();
  }, intervalMs);
  return stop;
}

/** `setInterval` that does not keep the event loop alive (node:timers gives Node, Bun and Deno `unref`). */
function unrefInterval(fn: () => void, ms: number): () => void {
  const timer = setInterval(fn, ms);
  timer.unref();
  return () => clearInterval(timer);
}
