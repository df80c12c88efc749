/**
 * Whether a directory is safe to hold the control socket: another local user must not be able to
 * move the socket away and put a fake master in its place.
 *
 * Two rules. A directory mgr makes for itself (`/tmp/mgr-UID`, `$XDG_RUNTIME_DIR/mgr`) must be
 * exactly what mgr would have made: a real directory (not a symbolic link), owned by the user, not
 * writable by group or others. A directory the user chose (the pidfile's, or `--control`'s) may be
 * reached through symbolic links, and it and every directory above it must be owned by the user or
 * root and not writable by group or others, unless sticky (as /tmp is: there nobody may rename or
 * remove a file they do not own, so a socket that is ours stays ours).
 *
 * @module
 */

import { lstatSync, mkdirSync, realpathSync, statSync } from "node:fs";
import { dirname } from "node:path";

const GROUP_OR_OTHER_WRITABLE = 0o022;
const STICKY = 0o1000;
const ROOT_UID = 0;

/** A directory or socket another user could tamper with; the message says which and why, in one line. */
export class UnsafePathError extends Error {
  override name = "UnsafePathError";

  constructor(readonly path: string, readonly reason: string) {
    super(`${path} ${reason}`);
  }
}

/** The real user id of this process, or undefined where there is none (Windows). */
export function currentUid(): number | undefined {
  return typeof process.getuid === "function" ? process.getuid() : undefined;
}

/**
 * Creates `path` (mode 0700) unless it exists, then checks it with {@linkcode checkPrivateDirectory}.
 *
 * @throws {UnsafePathError} when it is not safe, or cannot be made.
 */
export function ensurePrivateDirectory(path: string, uid = currentUid()): void {
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EEXIST") throw new UnsafePathError(path, `cannot be created (${code ?? (error as Error).message})`);
  }
  checkPrivateDirectory(path, uid);
}

/**
 * Checks a directory mgr makes for itself: not a symbolic link, a directory, owned by `uid`, not
 * writable by group or others; and the directories above it pass {@linkcode checkChosenDirectory}.
 *
 * @throws {UnsafePathError} naming the first thing wrong; a failing `lstat` (ENOENT, EACCES) as is.
 */
export function checkPrivateDirectory(path: string, uid = currentUid()): void {
  if (uid === undefined) return;
  const stats = lstatSync(path);
  if (stats.isSymbolicLink()) throw new UnsafePathError(path, "is a symbolic link");
  if (!stats.isDirectory()) throw new UnsafePathError(path, "is not a directory");
  if (stats.uid !== uid) throw new UnsafePathError(path, `belongs to uid ${stats.uid}, not to uid ${uid}`);
  if (stats.mode & GROUP_OR_OTHER_WRITABLE) {
    throw new UnsafePathError(path, `is writable by other users (mode ${formatMode(stats.mode)})`);
  }
  checkChosenDirectory(dirname(path), uid);
}

/**
 * Checks a directory the user chose: resolved through any symbolic links, it and each directory
 * above it belongs to `uid` or root and is not writable by group or others unless sticky.
 *
 * @throws {UnsafePathError} naming the first directory that fails and why; a failing `realpath` or
 * `stat` (ENOENT, EACCES) as is.
 */
export function checkChosenDirectory(path: string, uid = currentUid()): void {
  if (uid === undefined) return;
  for (let directory = realpathSync(path); ; directory = dirname(directory)) {
    const stats = statSync(directory);
    if (!stats.isDirectory()) throw new UnsafePathError(directory, "is not a directory");
    if (stats.uid !== uid && stats.uid !== ROOT_UID) {
      throw new UnsafePathError(directory, `belongs to uid ${stats.uid}, neither to uid ${uid} nor to root`);
    }
    if (stats.mode & GROUP_OR_OTHER_WRITABLE && !(stats.mode & STICKY)) {
      throw new UnsafePathError(directory, `is writable by other users and not sticky (mode ${formatMode(stats.mode)})`);
    }
    if (dirname(directory) === directory) return;
  }
}

/**
 * Checks the socket a client is about to talk to: a socket, not a link, owned by `uid`. Whoever else
 * owns it may be a fake master.
 *
 * @throws {UnsafePathError} naming what is wrong; an `lstat` failure (ENOENT, EACCES) is thrown as is.
 */
export function checkOwnSocket(path: string, uid = currentUid()): void {
  if (uid === undefined) return;
  const stats = lstatSync(path);
  if (stats.isSymbolicLink()) throw new UnsafePathError(path, "is a symbolic link, not a socket");
  if (!stats.isSocket()) throw new UnsafePathError(path, "is not a socket");
  if (stats.uid !== uid) throw new UnsafePathError(path, `belongs to uid ${stats.uid}, not to you (uid ${uid})`);
}

/** `0777`, `1777`: the permission bits of `mode` in octal. */
export function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}
