/**
 * A disk cache of TypeScript modules with their types stripped, shared by the workers of a user.
 *
 * Stripping types loads a WebAssembly build of swc into the process that strips: measured on Node
 * 24, 40 ms of CPU and 14 MB of RSS that stay for the worker's life, as much as tsx costs there. With
 * the stripped code on disk, keyed by the source itself, a worker that finds it never loads swc, and
 * a TypeScript app boots as a JavaScript one does. Node 24's own compile cache keeps stripped code too,
 * but Node 22's does not; this one serves both.
 *
 * When a pool starts with nothing in the cache (the first start after a deploy), its workers would
 * all strip the same files at once: the first to miss a file takes its lock and strips it, the others
 * wait for what it writes (up to {@linkcode LOCK_WAIT_MS}), so one worker pays instead of every one.
 *
 * A module that cannot be stripped (an enum: {@linkcode StripCacheOptions.remembers}) is remembered
 * too, beside the entries: the workers that ask for it after the first, and every later start, get
 * the same error at once, and never load swc to learn what is already known.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { closeSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";

/** How long a worker waits for another that holds a file's lock before stripping it itself. */
export const LOCK_WAIT_MS = 3_000;
const LOCK_POLL_MS = 5;
/** Entries not written for this long are removed, once per process, when something new is written. */
export const ENTRY_LIFETIME_MS = 30 * 24 * 3_600_000;
/** A lock or a half-written file this old was left by a process that died. */
const LEFTOVER_LIFETIME_MS = 3_600_000;

/** Options of {@linkcode createStripCache}. */
export interface StripCacheOptions {
  /** A directory only this user may write (`ensurePrivateDirectory`). */
  directory: string;
  /** What else the output depends on: the Node version and the stripping mode. */
  tag: string;
  /** Strips `source` (of the module `id`, when the output depends on it); throws what it cannot strip. */
  strip(source: string, id: string): string;
  /** The longest wait for a lock another process holds (tests shorten it). */
  lockWaitMs?: number;
  /** Whether a process is alive (tests replace it). */
  isAlive?(pid: number): boolean;
  /**
   * Whether an error `strip` threw depends on the source alone, so that it is remembered and thrown
   * again, with its name, code and message, to whoever asks for the same module. None by default.
   */
  remembers?(error: unknown): boolean;
}

/** A module's stripped code, from the cache or stripped now and cached. */
export interface StripCache {
  /** `id` names the module when the output depends on more than its source (a source map's path). */
  stripped(source: string, id?: string): string;
}

/** Creates the cache of `options.directory`. */
export function createStripCache(options: StripCacheOptions): StripCache {
  const { directory } = options;
  const lockWaitMs = options.lockWaitMs ?? LOCK_WAIT_MS;
  const isAlive = options.isAlive ?? processIsAlive;
  let pruned = false;

  const read = (path: string): string | undefined => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  };

  const write = (path: string, text: string): void => {
    try {
      // Readers see the whole file or none: a rename over the name is atomic.
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, text, { mode: 0o600 });
      renameSync(temporary, path);
    } catch {
      // A full disk or a directory gone: the code is right all the same.
    }
    if (!pruned) {
      pruned = true;
      pruneOldEntries(directory, Date.now());
    }
  };

  const stripAndWrite = (source: string, id: string, path: string): string => {
    let code: string;
    try {
      code = options.strip(source, id);
    } catch (error) {
      if (options.remembers?.(error)) write(failurePath(path), JSON.stringify(describeError(error)));
      throw error;
    }
    write(path, code);
    return code;
  };

  /** The entry at `path`, or the failure remembered beside it thrown, or undefined. */
  const readEntry = (path: string): string | undefined => {
    const cached = read(path);
    if (cached !== undefined || !options.remembers) return cached;
    const failure = read(failurePath(path));
    const error = failure === undefined ? undefined : reviveError(failure);
    if (error !== undefined) throw error;
    return undefined;
  };

  return {
    stripped(source, id = "") {
      const key = createHash("sha256").update(options.tag).update("\0").update(id).update("\0").update(source).digest("hex");
      const path = join(directory, `${key}.js`);
      const cached = readEntry(path);
      if (cached !== undefined) return cached;
      const lock = `${path}.lock`;
      if (claimLock(lock)) {
        try {
          return stripAndWrite(source, id, path);
        } finally {
          removeLock(lock);
        }
      }
      const deadline = Date.now() + lockWaitMs;
      for (;;) {
        const written = readEntry(path);
        if (written !== undefined) return written;
        const holder = lockHolder(lock);
        if (holder === undefined || !isAlive(holder) || Date.now() >= deadline) break;
        sleep(LOCK_POLL_MS);
      }
      // The holder failed on what is not remembered, died or is slow: strip it here.
      return stripAndWrite(source, id, path);
    },
  };
}

/** Where the failure to strip the module of the entry at `path` is remembered. */
function failurePath(path: string): string {
  return path.replace(/\.js$/, ".failed");
}

function describeError(error: unknown): { name: string; message: string; code?: unknown } {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  return { name: error.name, message: error.message, code: (error as { code?: unknown }).code };
}

/** The error a remembered failure describes; undefined for a record that cannot be read, stripped anew. */
function reviveError(text: string): Error | undefined {
  let described: { name?: unknown; message?: unknown; code?: unknown };
  try {
    described = JSON.parse(text) as typeof described;
  } catch {
    return undefined;
  }
  if (typeof described !== "object" || described === null || typeof described.message !== "string") return undefined;
  const error = described.name === "SyntaxError" ? new SyntaxError(described.message) : new Error(described.message);
  return described.code === undefined ? error : Object.assign(error, { code: described.code });
}

function claimLock(lock: string): boolean {
  try {
    const fd = openSync(lock, "wx", 0o600);
    try {
      writeSync(fd, String(process.pid));
    } finally {
      closeSync(fd);
    }
    return true;
  } catch {
    return false;
  }
}

function removeLock(lock: string): void {
  try {
    unlinkSync(lock);
  } catch {
    // Already gone.
  }
}

/** The pid in a lock file; undefined when there is none (or only a pid not yet written: read as gone). */
function lockHolder(lock: string): number | undefined {
  try {
    const pid = Number(readFileSync(lock, "utf8"));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks for `ms`: the module loader is synchronous here, and a worker has nothing else to do yet. */
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/**
 * Removes the entries and remembered failures of `directory` last written more than
 * {@linkcode ENTRY_LIFETIME_MS} before `now`, and the locks and half-written files of processes that died.
 */
export function pruneOldEntries(directory: string, now: number): void {
  try {
    for (const name of readdirSync(directory)) {
      const lifetime = /\.(?:js|failed)$/.test(name) ? ENTRY_LIFETIME_MS : /\.(?:lock|tmp)$/.test(name) ? LEFTOVER_LIFETIME_MS : undefined;
      if (lifetime === undefined) continue;
      const path = join(directory, name);
      try {
        if (now - statSync(path).mtimeMs > lifetime) unlinkSync(path);
      } catch {
        // Removed by another worker meanwhile.
      }
    }
  } catch {
    // The directory is gone: nothing to prune.
  }
}
