/**
 * How a draining Node worker lets its keep-alive connections go: a few at a time over
 * {@linkcode DRAIN_PACE_MS}, not all at once.
 *
 * A worker that has just started runs its request path cold: measured on Node 24, its first 1,000
 * requests cost about 100 ms of CPU more than the next 1,000 (V8 compiling and optimizing Node's HTTP
 * code, @hono/node-server's and mgr's, the app's own the least of it). When the old worker of a swap
 * told every client to reconnect at once, all of them landed on the cold one together: under `wrk -c50`
 * with the server on one core, p99 over a reload window went from 8 to 40 ms. Released over 300 ms, the
 * new worker warms up on a few connections while the old one still serves the rest: 20 to 23 ms
 * (BENCHMARKS.md, "p99 during a reload"). Bun and Deno start warm enough not to need it.
 *
 * @module
 */

/** The time over which a draining worker releases its connections. */
export const DRAIN_PACE_MS = 300;
/** The shortest wait between two releases: more connections than this allows go in batches. */
const MIN_STEP_MS = 5;

/** The timer functions used (the tests give fakes). */
export interface PaceTimers {
  setTimeout(fn: () => void, ms: number): unknown;
}

/**
 * Calls `release` on each of `items`, the first at once and the rest spread evenly over `windowMs`;
 * several per step when they are many.
 */
export function releaseGradually<T>(
  items: readonly T[],
  release: (item: T) => void,
  { windowMs = DRAIN_PACE_MS, timers = globalThis as PaceTimers }: { windowMs?: number; timers?: PaceTimers } = {},
): void {
  const pending = [...items];
  if (pending.length === 0) return;
  const steps = Math.max(1, Math.min(pending.length, Math.floor(windowMs / MIN_STEP_MS)));
  const perStep = Math.ceil(pending.length / steps);
  const stepMs = windowMs / steps;
  const next = () => {
    for (const item of pending.splice(0, perStep)) release(item);
    if (pending.length > 0) timers.setTimeout(next, stepMs);
  };
  next();
}
