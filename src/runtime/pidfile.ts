/**
 * The pidfile: written so that nothing planted in its directory can redirect the write, refused only
 * when it names a live mgr master, removed on exit only if it still holds our pid (a newer master may
 * have taken it over).
 *
 * @module
 */

import { closeSync, constants, fchmodSync, fstatSync, openSync, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { hasMasterTitle } from "./master-title.ts";

/** A pidfile that stops the master from starting. */
export class PidfileError extends Error {
  override name = "PidfileError";
}

/** How many temporary names are tried before giving up: each is random, so a clash means a plant. */
const TEMPORARY_NAME_ATTEMPTS = 8;
/** Readable by everyone, written by the master alone, whatever the umask. */
const PIDFILE_MODE = 0o644;
/** A pid is a few digits; anything longer is not a pidfile. */
const MAX_PIDFILE_BYTES = 64;
// Windows has no O_NOFOLLOW; O_EXCL alone already refuses an existing link there.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;

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

/** Options of {@linkcode acquirePidfile}. */
export interface AcquirePidfileOptions {
  /** Whether a process with this pid is alive. */
  exists?: (pid: number) => boolean;
  /** Whether the live process `pid` is an mgr master. [its /proc title is the master's] */
  isMaster?: (pid: number) => boolean | Promise<boolean>;
  /** Told when a pidfile naming a live process that is not an mgr master is taken over. */
  warn?: (message: string) => void;
  /** The random part of a temporary file's name. */
  randomName?: () => string;
}

/**
 * Writes `pid` to `path` and resolves with the function that removes it again. A pidfile left by a
 * process that is gone, or naming a live process that is not an mgr master (the pid was reused), is
 * replaced; the second with a warning.
 *
 * The write goes to a new file with a random name, created exclusively and without following a link
 * (so a symbolic link planted at a guessable name cannot send our pid into another file), then renamed
 * over `path` (which replaces whatever is there, a link included, without following it).
 *
 * @throws {PidfileError} when the file names a live mgr master, or cannot be written.
 */
export async function acquirePidfile(path: string, pid: number, options: AcquirePidfileOptions = {}): Promise<() => void> {
  const { exists = processExists, isMaster = hasMasterTitle, warn = () => {}, randomName = randomHex } = options;
  const current = readPid(path);
  if (current !== undefined && current !== pid && exists(current)) {
    if (await isMaster(current)) {
      throw new PidfileError(`Already running on PID ${current} (pidfile ${path}). Stop it first`);
    }
    warn(`Pidfile ${path} names PID ${current}, which is alive but not an mgr master; taking the pidfile over`);
  }
  writePidfile(path, pid, randomName);
  return () => {
    if (readPid(path) !== pid) return;
    try {
      unlinkSync(path);
    } catch {
      // Already gone.
    }
  };
}

function writePidfile(path: string, pid: number, randomName: () => string): void {
  for (let attempt = 0; attempt < TEMPORARY_NAME_ATTEMPTS; attempt++) {
    const temporary = `${path}.${randomName()}.tmp`;
    let fd: number;
    try {
      fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, PIDFILE_MODE);
    } catch (error) {
      // Something is already there (planted, or a leftover): never write through it, pick another name.
      if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw new PidfileError(`Cannot write pidfile ${path}: ${(error as Error).message}`);
    }
    try {
      try {
        // The mode given at creation passes through the umask (0640 under --umask 027): set it
        // outright, as Gunicorn does, so monitoring run as another user can read the pid.
        fchmodSync(fd, PIDFILE_MODE);
        writeSync(fd, `${pid}\n`);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, path);
      return;
    } catch (error) {
      try {
        unlinkSync(temporary);
      } catch {
        // Nothing to clean up.
      }
      throw new PidfileError(`Cannot write pidfile ${path}: ${(error as Error).message}`);
    }
  }
  throw new PidfileError(`Cannot write pidfile ${path}: ${TEMPORARY_NAME_ATTEMPTS} temporary names beside it were taken`);
}

/**
 * The pid in `path`, or undefined when there is no regular file there (a link, a FIFO planted to
 * block the read, a directory) or no positive number in it.
 */
export function readPid(path: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | NOFOLLOW | NONBLOCK);
  } catch {
    return undefined;
  }
  let text: string;
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    const buffer = Buffer.alloc(MAX_PIDFILE_BYTES);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    text = buffer.subarray(0, length).toString("utf8");
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
  const trimmed = text.trim();
  if (!/^\d{1,10}$/.test(trimmed)) return undefined;
  const pid = Number(trimmed);
  return pid > 0 ? pid : undefined;
}

function randomHex(): string {
  return randomBytes(8).toString("hex");
}
