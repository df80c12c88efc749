/**
 * A log destination that can be reopened, so `logrotate` can move the file and SIGUSR1 makes the
 * next lines land in a new file at the old path.
 *
 * @module
 */

import { closeSync, openSync, writeSync } from "node:fs";

/** Where log lines go: a file opened for appending, or one of the process's own streams for `-`. */
export class LogDestination {
  #fd: number | undefined;

  /**
   * @param path A file path, or `-` for `fallback`.
   * @param fallback Writes a line to standard output or error; used for `-`.
   */
  constructor(readonly path: string, readonly fallback: (text: string) => void) {
    this.#open();
  }

  /** Writes `text` as it is (callers add the newline). One write per call: with O_APPEND, lines
   * from several processes sharing the file never interleave. */
  write(text: string): void {
    if (this.#fd === undefined) return this.fallback(text);
    writeSync(this.#fd, text);
  }

  /** Closes and opens the path again: after a rotation, this creates a new file. */
  reopen(): void {
    this.close();
    this.#open();
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #open(): void {
    if (this.path !== "-") this.#fd = openSync(this.path, "a");
  }
}
