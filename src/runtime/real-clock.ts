/**
 * The clock the master uses outside tests.
 *
 * @module
 */

import type { Clock, TimerId } from "../core/clock.ts";

/** Wall time and the runtime's own timers; all three runtimes have the same globals. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number): TimerId => setTimeout(fn, ms),
  clearTimeout: (id: TimerId) => clearTimeout(id as ReturnType<typeof setTimeout>),
};
