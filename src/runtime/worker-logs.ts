/**
 * A worker's two logs: the error log (its own lines: errors from handlers, teardown failures) and the
 * access log (a line per request), both reopened on `reopen-logs`.
 *
 * @module
 */

import type { WorkerSpec } from "../core/protocol.ts";
import { type AccessEntry, compileAccessLogFormat, compileAccessLogJson, showsBytesSent } from "../core/access-log-format.ts";
import { LogDestination } from "./log-file.ts";

/** How many bytes of access log lines to gather before writing them out. */
const ACCESS_LOG_BUFFER_BYTES = 16 * 1024;

/** The worker's log destinations. */
export class WorkerLogs {
  readonly error: LogDestination;
  readonly access?: LogDestination;
  readonly #formatAccess?: (entry: AccessEntry) => string;
  /** True when the access log line shows the bytes sent, which the worker then counts. */
  readonly countsBytes: boolean = false;
  #pending = "";
  #flushScheduled = false;

  constructor(
    spec: Pick<WorkerSpec, "errorLog" | "accessLog" | "accessLogFormat" | "logFormat">,
    writeError: (text: string) => void,
    writeOutput: (text: string) => void,
  ) {
    this.error = openOr(spec.errorLog, writeError);
    if (spec.accessLog) {
      this.access = openOr(spec.accessLog, writeOutput);
      this.#formatAccess = spec.logFormat === "json" ? compileAccessLogJson(spec.accessLogFormat) : compileAccessLogFormat(spec.accessLogFormat);
      this.countsBytes = showsBytesSent(spec.accessLogFormat);
    }
  }

  /** True when requests are logged. */
  get logsAccess(): boolean {
    return this.access !== undefined;
  }

  /**
   * Adds a request's line. Lines are gathered and written together, once per turn of the event loop
   * or every 16 KiB: one write per request would cost a system call each under load.
   */
  logAccess(entry: AccessEntry): void {
    if (!this.access || !this.#formatAccess) return;
    this.#pending += `${this.#formatAccess(entry)}\n`;
    if (this.#pending.length >= ACCESS_LOG_BUFFER_BYTES) this.flush();
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setTimeout(() => this.flush(), 0);
    }
  }

  /** Writes out the gathered access lines. */
  flush(): void {
    this.#flushScheduled = false;
    if (!this.#pending || !this.access) return;
    const text = this.#pending;
    this.#pending = "";
    this.access.write(text);
  }

  /** After a log rotation: the next lines go to new files at the old paths. */
  reopen(): void {
    this.flush();
    this.error.reopen();
    this.access?.reopen();
  }

  close(): void {
    this.flush();
    this.error.close();
    this.access?.close();
  }
}

/** Opens `path`, falling back to the stream with a note on it if the file cannot be opened. */
function openOr(path: string, fallback: (text: string) => void): LogDestination {
  try {
    return new LogDestination(path, fallback);
  } catch (error) {
    fallback(`Cannot open log file ${path} (${(error as Error).message}); writing to the console instead\n`);
    return new LogDestination("-", fallback);
  }
}
