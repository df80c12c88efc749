/**
 * The timers the master keeps per worker, kept apart from the worker's record so the record holds
 * only what the worker is, and every timer of a worker can be cleared in one call when it exits.
 *
 * @module
 */

import type { Clock, TimerId } from "./clock.ts";

/**
 * `watchdog`: no heartbeat for `timeout`. `boot`: not ready by the boot deadline. `exit`: asked to
 * exit and has not.
 */
export type WorkerTimerKind = "watchdog" | "boot" | "exit";

interface Pending {
  id: TimerId;
  at: number;
}

/** Named timers per worker id, on an injected clock. */
export class WorkerTimers {
  readonly #clock: Clock;
  readonly #pending = new Map<number, Map<WorkerTimerKind, Pending>>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Arms `kind` for `worker` to call `fire` in `ms`, replacing one already armed. */
  arm(worker: number, kind: WorkerTimerKind, ms: number, fire: () => void): void {
    this.clear(worker, kind);
    const timers = this.#pending.get(worker) ?? new Map<WorkerTimerKind, Pending>();
    this.#pending.set(worker, timers);
    const id = this.#clock.setTimeout(() => {
      timers.delete(kind);
      fire();
    }, ms);
    timers.set(kind, { id, at: this.#clock.now() + ms });
  }

  /** Arms `kind` unless it is already armed to fire no later than `ms` from now. */
  armNoLater(worker: number, kind: WorkerTimerKind, ms: number, fire: () => void): void {
    const armed = this.#pending.get(worker)?.get(kind);
    if (armed && armed.at <= this.#clock.now() + ms) return;
    this.arm(worker, kind, ms, fire);
  }

  clear(worker: number, kind: WorkerTimerKind): void {
    const timers = this.#pending.get(worker);
    const armed = timers?.get(kind);
    if (!armed) return;
    this.#clock.clearTimeout(armed.id);
    timers!.delete(kind);
  }

  /** Clears every timer of `worker`: it is gone. */
  clearAll(worker: number): void {
    const timers = this.#pending.get(worker);
    if (!timers) return;
    for (const { id } of timers.values()) this.#clock.clearTimeout(id);
    this.#pending.delete(worker);
  }
}
