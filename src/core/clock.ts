/**
 * Time, injected: the supervisor never reads a real clock or starts a real timer itself, so tests
 * drive it with a fake clock and every decision about time is deterministic.
 *
 * @module
 */

/** An opaque handle for a pending timer. */
export type TimerId = unknown;

/** The supervisor's only source of time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
}
