/**
 * Reading a line of Linux's `/proc/PID/stat`.
 *
 * @module
 */

/**
 * The fields of a `/proc/PID/stat` line after the command name, from the state on: `[state, ppid,
 * pgrp, session, tty_nr, tpgid, flags, minflt, cminflt, majflt, cmajflt, utime, stime, cutime,
 * cstime, …]`. The name is in parentheses and may itself hold spaces and `)`, so the fields start
 * after the last `)`.
 *
 * @example
 * ```ts
 * procStatFields("42 (a) b) S 1 42 42 0 -1")[1]; // "1", the ppid
 * ```
 */
export function procStatFields(text: string): string[] {
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}
