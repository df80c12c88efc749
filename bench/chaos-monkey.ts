/**
 * A chaos run against a running master: steady load, a random worker SIGKILLed at a fixed interval,
 * the pool watched at a fine interval. Shared by the behaviour test (test/behaviour/chaos.test.ts)
 * and the longer benchmark (bench/chaos.ts).
 *
 * @module
 */

import { startChaosLoad, type ChaosLoadOptions, type LoadFailure } from "./chaos-load.ts";
import { liveChildren } from "./proc-children.ts";
import { PoolWatch } from "./pool-watch.ts";

/** Options of {@linkcode runChaos}. */
export interface ChaosOptions extends Omit<ChaosLoadOptions, "port"> {
  port: number;
  /** The master's pid: its live children are the workers. */
  masterPid: number;
  /** The pool size the master keeps (`-w`). */
  poolSize: number;
  /** The master's log so far, at `--log-level debug` (its "ready" lines say which workers serve). */
  logLines: () => readonly string[];
  /** How long the kills go on, in milliseconds; the load runs on until then. */
  durationMs: number;
  /** Time between two kills, in milliseconds. */
  intervalMs: number;
  /** Load before the first kill, in milliseconds. */
  warmupMs: number;
  /** How often the pool is sampled, in milliseconds. */
  pollMs: number;
  /** A number in [0, 1), to pick the victim. */
  random: () => number;
}

/** One SIGKILL and what followed it. */
export interface KillRecord {
  /** Milliseconds since the first kill. */
  at: number;
  pid: number;
  /**
   * The most requests this kill can fail: every client that opens a connection per request, plus the
   * keep-alive clients whose connection was on the victim (or not yet known to be elsewhere).
   */
  exposed: number;
  /** Failures attributed to this kill (for diagnosis: see {@linkcode attributeFailures}). */
  failed: number;
  /** Time until the pool was full again, in ms; undefined if it was not before the next kill or the end. */
  refillMs?: number;
}

/** What a chaos run measured. */
export interface ChaosReport {
  ok: number;
  failures: LoadFailure[];
  kills: KillRecord[];
  /** Sum of every kill's `exposed`: the bound on failures. */
  failureBound: number;
  /** Failures not explained by any kill: sent before the first one. */
  unattributed: number;
  /** The longest stretch with no worker serving, in ms. */
  longestEmptyMs: number;
  /** Samples of the pool taken, and the fewest workers serving in any of them after the warm-up. */
  samples: number;
  fewestServing: number;
  /** Requests answered per worker pid. */
  answeredBy: Map<number, number>;
  /** True if the master was seen gone at any sample. */
  masterDied: boolean;
  /** Wall time from the first kill to the end of the load, in ms. */
  elapsedMs: number;
}

/**
 * Runs the chaos and reports. Kills happen at warm-up + k x interval for every k with k x interval <
 * duration; the load runs until warm-up + duration, then waits for its outstanding requests.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const watch = new PoolWatch(options.masterPid, options.logLines, options.pollMs);
  watch.start();
  const load = startChaosLoad(options);
  const kills: (KillRecord & { time: number })[] = [];
  const start = Date.now() + options.warmupMs;
  try {
    for (let k = 0; k * options.intervalMs < options.durationMs; k++) {
      await sleepUntil(start + k * options.intervalMs);
      const live = liveChildren(options.masterPid);
      if (live.length === 0) continue; // Nothing to kill: the refill assertion says why.
      const pid = live[Math.floor(options.random() * live.length)]!;
      const exposed = load.clients.filter((c) => c.fresh || c.lastPid === undefined || c.lastPid === pid).length;
      const time = Date.now();
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        continue; // It exited on its own in between.
      }
      kills.push({ time, at: time - start, pid, exposed, failed: 0 });
    }
    await sleepUntil(start + options.durationMs);
  } finally {
    await load.stop();
    watch.stop();
  }
  const end = Date.now();
  for (const [i, kill] of kills.entries()) {
    const next = kills[i + 1]?.time ?? end;
    kill.refillMs = watch.refillMs(kill.time, kill.pid, options.poolSize, next);
  }
  const unattributed = attributeFailures(load.failures, kills);
  const afterWarmup = watch.samples.filter((s) => s.at >= start);
  return {
    ok: load.ok(),
    failures: load.failures,
    kills: kills.map(({ time: _, ...kill }) => kill),
    failureBound: kills.reduce((sum, kill) => sum + kill.exposed, 0),
    unattributed,
    longestEmptyMs: watch.longestEmptyMs(start, end),
    samples: watch.samples.length,
    fewestServing: Math.min(...afterWarmup.map((s) => s.serving)),
    answeredBy: load.answeredBy,
    masterDied: watch.masterGoneAt !== undefined,
    elapsedMs: end - start,
  };
}

/**
 * Counts each failure against the kill that most likely caused it, the last one before the request
 * failed or, for a request that waited out its deadline, before it was sent (allowing 250 ms: a
 * request handed to the victim just before it died is sent before the kill is seen). Returns the
 * number of failures that no kill precedes.
 */
export function attributeFailures(failures: LoadFailure[], kills: { time: number; failed: number }[]): number {
  let unattributed = 0;
  for (const failure of failures) {
    const timedOut = /timed out/.test(failure.message);
    const cause = timedOut ? failure.startedAt + 250 : failure.endedAt;
    const kill = kills.findLast((k) => k.time <= cause);
    if (kill) kill.failed++;
    else unattributed++;
  }
  return unattributed;
}

/** Percentile `p` (0..100) of `values` by nearest rank; NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** One line per kill: when, whom, refill time, failures and bound; for an assertion message. */
export function describeKills(report: ChaosReport): string {
  return report.kills.map((kill) =>
    `  kill at ${(kill.at / 1000).toFixed(2)}s pid ${kill.pid}: refill ${
      kill.refillMs === undefined ? "NOT REFILLED" : `${kill.refillMs} ms`
    }, failed ${kill.failed} (bound ${kill.exposed})`
  ).join("\n");
}

function sleepUntil(time: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));
}
