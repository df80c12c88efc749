/**
 * The pidfile: written atomically, refused when it names a live process, removed on exit only if it
 * still holds our pid (a newer master may have taken it over).
 *
 * @module
 */

import { readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";

/** A pidfile that stops the master from starting. */
export class PidfileError extends Error {
  override name = "PidfileError";
}

/** True when a process with `pid` exists (signal 0 checks without sending anything). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it just is not ours to signal.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Writes `pid` to `path` and returns the function that removes it again. A pidfile left by a process
 * that is gone (stale) is replaced.
 *
 * @throws {PidfileError} when the file names another live process, or cannot be written.
 */
export function acquirePidfile(path: string, pid: number, exists: (pid: number) => boolean = processExists): () => void {
  const current = readPid(path);
  if (current !== undefined && current !== pid && exists(current)) {
    throw new PidfileError(
      `Already running on PID ${current} (pidfile ${path}). Stop it first, or remove the pidfile if that process is not mgr`,
    );
  }
  // Write then rename: a reader never sees a half-written file.
  const temporary = `${path}.${pid}.tmp`;
  try {
    writeFileSync(temporary, `${pid}\n`);
    renameSync(temporary, path);
  } catch (error) {
    throw new PidfileError(`Cannot write pidfile ${path}: ${(error as Error).message}`);
  }
  return () => {
    if (readPid(path) !== pid) return;
    try {
      unlinkSync(path);
    } catch {
      // Already gone.
    }
  };
}

/** The pid in `path`, or undefined when there is no file or no number in it. */
export function readPid(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
