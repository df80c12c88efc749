/**
 * How a worker lets the master find where its JavaScript is when it hangs, on runtimes that can
 * (Node: SIGUSR1 opens the inspector, even in a busy loop).
 *
 * @module
 */

/** A worker's side of the master's stack capture. */
export interface StackCaptureTarget {
  /**
   * Readies the process: from now on SIGUSR1 opens the runtime's inspector on a loopback port the
   * OS picks. The worker then no longer handles SIGUSR1 itself (the master sends `reopen-logs`).
   */
  arm(): void;
  /**
   * Closes an inspector that a SIGUSR1 opened while the worker was not hung (an operator signalling
   * the whole process group); true if there was one. Called on every heartbeat, so a stray inspector
   * stays open a second at most.
   */
  closeStray(): boolean;
}
