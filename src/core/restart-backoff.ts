/**
 * How long to wait before replacing a worker that crashed, when crashes repeat.
 *
 * @module
 */

/** The first extra wait once crashes repeat, in milliseconds. */
export const RESTART_BACKOFF_BASE_MS = 250;
/** The longest wait between restarts, in milliseconds. */
export const RESTART_BACKOFF_CAP_MS = 15_000;
/** Crashes closer together than this count as one streak, in milliseconds. */
export const RESTART_STREAK_WINDOW_MS = 60_000;

/**
 * Counts a streak of crashes and turns it into a delay: the first crash in a while is replaced at once,
 * the second after {@linkcode RESTART_BACKOFF_BASE_MS}, then the wait doubles up to
 * {@linkcode RESTART_BACKOFF_CAP_MS}. A crash more than {@linkcode RESTART_STREAK_WINDOW_MS} after the
 * previous one starts a new streak.
 */
export class RestartBackoff {
  #streak = 0;
  #lastFailureAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly baseMs = RESTART_BACKOFF_BASE_MS,
    readonly capMs = RESTART_BACKOFF_CAP_MS,
    readonly windowMs = RESTART_STREAK_WINDOW_MS,
  ) {}

  /** Crashes in the current streak. */
  get streak(): number {
    return this.#streak;
  }

  /** Ends the streak: a worker has proved the app runs. */
  reset(): void {
    this.#streak = 0;
    this.#lastFailureAt = Number.NEGATIVE_INFINITY;
  }

  /** Records a crash at `now` and returns how long to wait before the next spawn. */
  recordFailure(now: number): number {
    this.#streak = now - this.#lastFailureAt < this.windowMs ? this.#streak + 1 : 1;
    this.#lastFailureAt = now;
    if (this.#streak === 1) return 0;
    return Math.min(this.baseMs * 2 ** (this.#streak - 2), this.capMs);
  }
}
