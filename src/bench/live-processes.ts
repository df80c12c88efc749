/**
 * Every process the benchmark starts, so that all of them are killed at the end, also on an error
 * or Ctrl-C. Always by pid or process group id, never by name: other servers may run on this machine.
 *
 * @module
 */

const groups = new Set<number>();
const pids = new Set<number>();

/** Remembers a process group (a server started `detached`, whose pid is its group id). */
export function trackGroup(pgid: number): void {
  groups.add(pgid);
}

/** Remembers a single process (wrk). */
export function trackPid(pid: number): void {
  pids.add(pid);
}

/** Forgets a group or pid once it is known to be gone. */
export function untrack(id: number): void {
  groups.delete(id);
  pids.delete(id);
}

/** Sends `signal` to a process group; false if it is already gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  return trySignal(-pgid, signal);
}

/** Sends `signal` to one pid; false if it is already gone. */
export function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  return trySignal(pid, signal);
}

/**
 * SIGKILLs every tracked group and pid, synchronously, so it can run in an `exit` handler.
 */
export function killAllTracked(): void {
  for (const pgid of groups) signalGroup(pgid, "SIGKILL");
  for (const pid of pids) signalPid(pid, "SIGKILL");
  groups.clear();
  pids.clear();
}

/**
 * Kills everything tracked when this process exits, fails or is interrupted; exits 130 on SIGINT
 * and 143 on SIGTERM, as a shell would report. `prefix` starts the line it prints (`bench:`, `mgr:`).
 */
export function killTrackedOnExit(prefix = "bench:"): void {
  process.on("exit", killAllTracked);
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${prefix} ${signal}, stopping every server started\n`);
      killAllTracked();
      process.exit(code);
    });
  }
}

function trySignal(id: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(id, signal);
    return true;
  } catch {
    return false; // ESRCH: already gone.
  }
}
