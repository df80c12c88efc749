/**
 * The error log: Gunicorn's line format, `[time] [pid] [LEVEL] message`, written to an injected sink.
 *
 * @module
 */

import type { LogLevel } from "./protocol.ts";
import type { Clock } from "./clock.ts";

/** Every {@linkcode LogLevel}, least severe first: a logger writes the lines at its level and after. */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warning", "error", "critical"];

/** How log lines are written: Gunicorn's text lines, or one JSON object per line. */
export type LogFormat = "text" | "json";

/** Writes log lines at or above a level. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  critical(message: string): void;
}

/** Options of {@linkcode createLogger}. */
export interface CreateLoggerOptions {
  level: LogLevel;
  /** Receives each finished line, without a trailing newline. */
  write: (line: string) => void;
  /** The process id printed on every line. */
  pid: number;
  /** Where timestamps come from; `Date.now` when omitted. */
  clock?: Pick<Clock, "now">;
  /** Gunicorn's text lines (the default), or one JSON object per line for log shippers. */
  format?: LogFormat;
}

/**
 * Creates a logger whose lines read like Gunicorn's.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: "info", pid: 1234, write: (line) => console.error(line) });
 * log.info("Booting worker with pid: 1235");
 * // [2026-11-26 07:40:00 +0000] [1234] [INFO] Booting worker with pid: 1235
 * ```
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level);
  const now = options.clock ? () => options.clock!.now() : () => Date.now();
  const json = options.format === "json";
  const line = (level: LogLevel) => (message: string) => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    const time = now();
    options.write(
      json
        ? JSON.stringify({ time: new Date(time).toISOString(), level, pid: options.pid, message })
        : `[${formatTimestamp(time)}] [${options.pid}] [${level.toUpperCase()}] ${message}`,
    );
  };
  return {
    debug: line("debug"),
    info: line("info"),
    warning: line("warning"),
    error: line("error"),
    critical: line("critical"),
  };
}

/** Formats local time as `YYYY-MM-DD HH:MM:SS +ZZZZ`, Gunicorn's default date format. */
export function formatTimestamp(ms: number): string {
  const date = new Date(ms);
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const zone = `${sign}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ${zone}`;
}
