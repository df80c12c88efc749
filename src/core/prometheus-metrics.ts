/**
 * The master's metrics in Prometheus' text exposition format (version 0.0.4), written by hand: the
 * format is a few lines of text per metric, and the maintained client (prom-client) is built on
 * Node's own modules and its cluster; it keeps its own registry of mutable metrics where mgr already
 * has every number in one status report, and core must not import a runtime.
 *
 * @module
 */

import { LATENCY_BUCKETS_SECONDS } from "./latency-histogram.ts";
import type { CountersSnapshot } from "./pool-counters.ts";
import type { StatusReport } from "./status-report.ts";

/** The media type of the text format, for the `Content-Type` of `/metrics`. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** What a worker is, as `mgr_workers{state=…}` counts it. */
const WORKER_STATES = ["booting", "ready", "retiring", "spare", "draining", "stopping"] as const;

type Labels = Record<string, string | number>;

/** One metric family: its help, its type, and its samples. */
class Family {
  readonly #lines: string[];
  constructor(readonly name: string, type: "counter" | "gauge" | "histogram", help: string) {
    this.#lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  }

  sample(value: number, labels: Labels = {}, suffix = ""): this {
    this.#lines.push(`${this.name}${suffix}${formatLabels(labels)} ${formatNumber(value)}`);
    return this;
  }

  toString(): string {
    return this.#lines.join("\n");
  }
}

function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  const escape = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
  return `{${entries.map(([name, value]) => `${name}="${escape(String(value))}"`).join(",")}}`;
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

/** The state a worker is counted under. */
export function workerStateLabel(worker: StatusReport["pool"][number]): (typeof WORKER_STATES)[number] {
  if (worker.spare && worker.state !== "draining" && worker.state !== "stopping") return "spare";
  if (worker.retiring && worker.state === "ready") return "retiring";
  return worker.state;
}

/**
 * Formats the master's metrics. Counters (`_total`) are the master's sums since it started, so a
 * worker replaced or killed takes none of them with it; per-worker gauges are labelled with the
 * worker's `slot` and `pid`.
 */
export function formatPrometheusMetrics(status: StatusReport, counters: CountersSnapshot): string {
  const families: Family[] = [];
  const family = (name: string, type: "counter" | "gauge" | "histogram", help: string) => {
    const f = new Family(name, type, help);
    families.push(f);
    return f;
  };

  const byState = family("mgr_workers", "gauge", "Workers by state (a retiring worker serves until its replacement is ready).");
  for (const state of WORKER_STATES) byState.sample(status.pool.filter((w) => workerStateLabel(w) === state).length, { state });
  family("mgr_workers_desired", "gauge", "The pool size the master aims for.").sample(status.workers);
  family("mgr_workers_responsive", "gauge", "Ready workers heard from within two heartbeats.").sample(status.ready);

  const restarts = family("mgr_worker_restarts_total", "counter", "Workers replaced because they ended unasked, by reason.");
  for (const [reason, n] of Object.entries(counters.restarts)) restarts.sample(n, { reason: reason.replace("-", "_") });
  family("mgr_worker_oom_kills_total", "counter", "Workers ended by a SIGKILL the master did not send (the kernel's OOM killer, most often).")
    .sample(counters.oomKills);
  const recycles = family("mgr_worker_recycles_total", "counter", "Workers replaced on purpose, by reason.");
  for (const [reason, n] of Object.entries(counters.recycles)) recycles.sample(n, { reason: reason.replace("-", "_") });
  const reloads = family("mgr_reloads_total", "counter", "Reloads (HUP, mgr reload, the dashboard), by outcome.");
  for (const [outcome, n] of Object.entries(counters.reloads)) reloads.sample(n, { outcome });

  family("mgr_requests_total", "counter", "Requests served by every worker since the master started.").sample(counters.requests);
  family("mgr_requests_in_flight", "gauge", "Requests being served now, open WebSockets and event streams included.")
    .sample(status.pool.reduce((sum, w) => sum + w.inFlight, 0));

  const durations = family("mgr_request_duration_seconds", "histogram", "Time from a request's arrival to its response being ready.");
  let cumulative = 0;
  LATENCY_BUCKETS_SECONDS.forEach((bound, i) => {
    cumulative += counters.latency[i]!;
    durations.sample(cumulative, { le: bound }, "_bucket");
  });
  cumulative += counters.latency[LATENCY_BUCKETS_SECONDS.length]!;
  durations.sample(cumulative, { le: "+Inf" }, "_bucket");
  // The exact sum is not sent by workers: the buckets' midpoints stand in for it.
  let sum = 0;
  LATENCY_BUCKETS_SECONDS.forEach((bound, i) => (sum += counters.latency[i]! * ((i === 0 ? 0 : LATENCY_BUCKETS_SECONDS[i - 1]!) + bound) / 2));
  sum += counters.latency[LATENCY_BUCKETS_SECONDS.length]! * LATENCY_BUCKETS_SECONDS.at(-1)!;
  durations.sample(Math.round(sum * 1e6) / 1e6, {}, "_sum").sample(cumulative, {}, "_count");

  const workers = status.pool.filter((w) => !w.spare);
  const rss = family("mgr_worker_rss_bytes", "gauge", "Each worker's resident memory, from its last heartbeat.");
  const delay = family("mgr_worker_event_loop_delay_seconds", "gauge", "How late each worker's heartbeat timer fired: its event loop's delay.");
  const served = family("mgr_worker_requests_served", "gauge", "Requests each worker has served (it resets when the worker is replaced).");
  const age = family("mgr_worker_age_seconds", "gauge", "Seconds since each worker was spawned.");
  for (const worker of workers) {
    const labels = { slot: worker.slot ?? "", pid: worker.pid };
    rss.sample(worker.rss, labels);
    delay.sample((worker.loopDelayMs ?? 0) / 1000, labels);
    served.sample(worker.served, labels);
    age.sample(worker.ageMs / 1000, labels);
  }
  family("mgr_max_rss_bytes", "gauge", "The --max-rss limit; 0 when off.").sample(status.maxRssBytes);
  family("process_start_time_seconds", "gauge", "When the master started, in seconds since the epoch.").sample(status.startedAt / 1000);
  return families.map(String).join("\n") + "\n";
}
