/**
 * When the master may start its next worker: at once, or after a backoff while failures repeat.
 * One gate for every spawn, so a crash loop in one slot cannot be dodged by another slot's respawn.
 *
 * @module
 */

import type { Clock, TimerId } from "./clock.ts";
import type { Logger } from "./logger.ts";
import { RestartBackoff } from "./restart-backoff.ts";

/** Holds spawns until a backoff has passed, and says when it has. */
export class RespawnGate {
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #onOpen: () => void;
  readonly #backoff = new RestartBackoff();
  /** No worker is spawned before this time. */
  #openAt = 0;
  #timer?: TimerId;

  /** `onOpen` is called when a wait armed by {@linkcode RespawnGate.armWake} has passed. */
  constructor(clock: Clock, log: Logger, onOpen: () => void) {
    this.#clock = clock;
    this.#log = log;
    this.#onOpen = onOpen;
  }

  /** True when a spawn may happen now. */
  get open(): boolean {
    return this.#clock.now() >= this.#openAt;
  }

  /** Records one more failure of a streak (`what`: "crashes", "boot failures"), and waits as it says. */
  recordFailure(what: string, minimumMs = 0): void {
    const delayMs = Math.max(minimumMs, this.#backoff.recordFailure(this.#clock.now()));
    if (delayMs <= 0) return;
    const at = this.#clock.now() + delayMs;
    if (at <= this.#openAt) return;
    this.#openAt = at;
    this.#log.warning(
      `${this.#backoff.streak} ${what} in a row; waiting ${(delayMs / 1000).toFixed(2)}s before starting a worker`,
    );
    this.cancelWake();
  }

  /** Ends the streak and any wait: a worker has proved the app runs. */
  reset(): void {
    this.#backoff.reset();
    this.#openAt = this.#clock.now();
    this.cancelWake();
  }

  /** Calls `onOpen` once the gate opens (on the next turn if it is open now). */
  armWake(): void {
    if (this.#timer !== undefined) return;
    const wait = Math.max(0, this.#openAt - this.#clock.now());
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#onOpen();
    }, wait);
  }

  cancelWake(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
