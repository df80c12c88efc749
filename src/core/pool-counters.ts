/**
 * The master's counters: sums of the supervisor's {@linkcode PoolEvent}s since it started, and a short
 * history of requests per second and their p99 for the dashboard's chart.
 *
 * @module
 */

import { addLatencyCounts, emptyLatencyCounts, type LatencyCounts, latencyQuantile } from "./latency-histogram.ts";
import type { PoolEvent, RecycleReason, ReloadOutcome, RestartReason } from "./pool-event.ts";

/** The width of one point of the history, in milliseconds. */
export const HISTORY_STEP_MS = 2_000;
/** How many points the history keeps: ten minutes. */
export const HISTORY_POINTS = 300;

/** The counters at one moment; every number only grows while the master runs. */
export interface CountersSnapshot {
  requests: number;
  /** Request durations since start, counts per bucket of latency-histogram.ts. */
  latency: LatencyCounts;
  restarts: Record<RestartReason, number>;
  /** Workers the kernel's OOM killer ended (also counted as crashes). */
  oomKills: number;
  recycles: Record<RecycleReason, number>;
  reloads: Record<ReloadOutcome, number>;
}

/** One point of the history: the requests of a {@linkcode HISTORY_STEP_MS} step, per second, and their p99. */
export interface HistoryPoint {
  /** The start of the step, milliseconds since the epoch. */
  at: number;
  requestsPerSecond: number;
  /** The step's 99th percentile duration in milliseconds; null when it served nothing. */
  p99Ms: number | null;
}

interface Step {
  at: number;
  requests: number;
  latency: LatencyCounts;
}

/**
 * Adds up pool events.
 *
 * @example
 * ```ts
 * const counters = new PoolCounters(() => clock.now());
 * createSupervisor({ ..., onPoolEvent: (event) => counters.record(event) });
 * counters.snapshot().restarts.crash;
 * ```
 */
export class PoolCounters {
  readonly #now: () => number;
  readonly #totals: CountersSnapshot = {
    requests: 0,
    latency: emptyLatencyCounts(),
    restarts: { crash: 0, timeout: 0, "boot-failure": 0 },
    oomKills: 0,
    recycles: { "max-requests": 0, "max-rss": 0, reload: 0 },
    reloads: { complete: 0, abandoned: 0, failed: 0 },
  };
  readonly #steps: Step[] = [];

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Counts one event. */
  record(event: PoolEvent): void {
    const totals = this.#totals;
    switch (event.type) {
      case "served": {
        totals.requests += event.requests;
        addLatencyCounts(totals.latency, event.latency);
        const step = this.#step();
        step.requests += event.requests;
        addLatencyCounts(step.latency, event.latency);
        return;
      }
      case "restart":
        totals.restarts[event.reason]++;
        if (event.oom) totals.oomKills++;
        return;
      case "recycle":
        totals.recycles[event.reason]++;
        return;
      case "reload":
        totals.reloads[event.outcome]++;
        return;
    }
  }

  /** A copy of the totals. */
  snapshot(): CountersSnapshot {
    return structuredClone(this.#totals);
  }

  /**
   * The last `minutes` of history, oldest first, one point per step, steps without a heartbeat as 0
   * requests. The step in progress is left out: its rate would read low.
   */
  history(minutes = 10): HistoryPoint[] {
    const current = this.#stepStart(this.#now());
    const count = Math.min(HISTORY_POINTS, Math.ceil((minutes * 60_000) / HISTORY_STEP_MS));
    const byStart = new Map(this.#steps.map((step) => [step.at, step]));
    const points: HistoryPoint[] = [];
    for (let at = current - count * HISTORY_STEP_MS; at < current; at += HISTORY_STEP_MS) {
      const step = byStart.get(at);
      const p99 = step ? latencyQuantile(step.latency, 0.99) : null;
      points.push({
        at,
        requestsPerSecond: step ? step.requests / (HISTORY_STEP_MS / 1000) : 0,
        p99Ms: p99 === null ? null : Math.round(p99 * 1e6) / 1e3,
      });
    }
    return points;
  }

  #stepStart(now: number): number {
    return now - (now % HISTORY_STEP_MS);
  }

  #step(): Step {
    const at = this.#stepStart(this.#now());
    const last = this.#steps.at(-1);
    if (last?.at === at) return last;
    const step = { at, requests: 0, latency: emptyLatencyCounts() };
    this.#steps.push(step);
    if (this.#steps.length > HISTORY_POINTS) this.#steps.shift();
    return step;
  }
}
