/**
 * One run of a load generator: what it is given and what it reports, the same for wrk and autocannon.
 *
 * @module
 */

/** What one load run reports. */
export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  /** Responses outside 2xx (wrk counts 3xx with 2xx). */
  non2xx: number;
  /** Connect, read, write and timeout errors. */
  socketErrors: number;
  latencyP50Ms: number | null;
  latencyP90Ms: number | null;
  latencyP99Ms: number | null;
}

/** Options of a load run. */
export interface LoadOptions {
  url: string;
  connections: number;
  durationS: number;
  /** `taskset -c` list the load generator is pinned to, or undefined. */
  cpus?: string;
}
