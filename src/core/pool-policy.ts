/**
 * The numbers that shape the pool: how often a boot may fail, how many spares recycling keeps, how
 * many workers are spawned per turn.
 *
 * @module
 */

/** Consecutive boot failures, with no worker serving, after which the master gives up (exit 3). */
export const MAX_BOOT_ATTEMPTS = 5;
/**
 * Spares kept booted while max-requests recycling is on. A retiring worker is then replaced in the time
 * a spare takes to start listening (milliseconds), not the time a worker takes to boot, so under any
 * load a worker serves close to its max-requests, and capacity still never dips. One is enough because
 * jitter spreads retirements out; when two coincide, the second replacement boots cold.
 */
export const SPARE_WORKERS_WHEN_RECYCLING = 1;
/**
 * Workers spawned in one turn of the loop. A large pool is spawned a batch at a time, so signals and
 * the control socket are still answered while it boots (spawning blocks the master for milliseconds
 * per worker).
 */
export const SPAWN_BATCH = 8;
