/**
 * The grace a draining worker gives keep-alive clients, the same on every runtime.
 *
 * @module
 */

/**
 * How long a draining worker tells its clients to close before it closes the connections that
 * stayed idle, in milliseconds. A busy client sends its next request well within it, is answered
 * with `Connection: close`, and reconnects elsewhere; closing an idle connection at once would race
 * that request and reset it unserved (about 30 lost requests per worker swap under `wrk -c50`, on
 * Bun and Deno, whose servers close idle connections when they stop). Each adapter's serve.ts says
 * how its runtime spends the grace.
 */
export const DRAIN_IDLE_GRACE_MS = 500;
