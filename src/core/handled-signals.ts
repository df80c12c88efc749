/**
 * The signals the master listens for.
 *
 * @module
 */

import type { Signal } from "./runtime.ts";

/**
 * Every signal the master acts on, and the ones it only logs: USR2 and PIPE would otherwise end it by
 * their default action, and WINCH means something to Gunicorn users.
 */
export const HANDLED_SIGNALS: readonly Signal[] = [
  "SIGTERM",
  "SIGINT",
  "SIGQUIT",
  "SIGHUP",
  "SIGTTIN",
  "SIGTTOU",
  "SIGUSR1",
  "SIGUSR2",
  "SIGWINCH",
  "SIGPIPE",
];
