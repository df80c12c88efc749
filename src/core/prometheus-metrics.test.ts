import { describe, expect, it } from "vitest";
import { parseMetrics } from "../../test/support/prometheus-text.ts";
import { emptyLatencyCounts, LATENCY_BUCKETS_SECONDS, latencyBucket, latencyQuantile } from "./latency-histogram.ts";
import { PoolCounters } from "./pool-counters.ts";
import { formatPrometheusMetrics, workerStateLabel } from "./prometheus-metrics.ts";
import type { StatusReport, WorkerStatus } from "./status-report.ts";

function worker(overrides: Partial<WorkerStatus>): WorkerStatus {
  return {
    id: 1, pid: 100, state: "ready", retiring: false, spare: false, generation: 0, slot: 1, spawnedAt: 0, lastSeen: 0,
    served: 0, inFlight: 0, rss: 0, restarts: 0, ageMs: 0, responsive: true, ...overrides,
  };
}

const STATUS: StatusReport = {
  pid: 1, runtime: "node 20", phase: "running", workers: 2, ready: 2, startedAt: 1_700_000_000_000, now: 0, maxRssBytes: 0,
  pool: [
    worker({ id: 1, pid: 101 }),
    worker({ id: 2, pid: 102, retiring: true }),
    worker({ id: 3, pid: 103, spare: true, slot: undefined, state: "booting" }),
    worker({ id: 4, pid: 104, state: "draining" }),
  ],
};

describe("formatPrometheusMetrics", () => {
  it("writes a cumulative histogram whose +Inf bucket and count are every request", () => {
    const counters = new PoolCounters(() => 0);
    const latency = emptyLatencyCounts();
    latency[latencyBucket(0.5)] = 3;
    latency[latencyBucket(40)] = 2;
    latency[latencyBucket(60_000)] = 1;
    counters.record({ type: "served", requests: 6, latency });
    const text = formatPrometheusMetrics(STATUS, counters.snapshot());
    expect(text).toContain('mgr_request_duration_seconds_bucket{le="0.001"} 3\n');
    expect(text).toContain('mgr_request_duration_seconds_bucket{le="0.05"} 5\n');
    expect(text).toContain('mgr_request_duration_seconds_bucket{le="10"} 5\n');
    expect(text).toContain('mgr_request_duration_seconds_bucket{le="+Inf"} 6\n');
    expect(text).toContain("mgr_request_duration_seconds_count 6\n");
    const histogram = parseMetrics(text).get("mgr_request_duration_seconds")!;
    expect(Object.keys(histogram.metrics[0]!.buckets!)).toHaveLength(LATENCY_BUCKETS_SECONDS.length + 1);
  });

  it("counts workers by the state an operator sees: retiring and spare apart", () => {
    expect(STATUS.pool.map(workerStateLabel)).toEqual(["ready", "retiring", "spare", "draining"]);
    const text = formatPrometheusMetrics(STATUS, new PoolCounters(() => 0).snapshot());
    expect(text).toContain('mgr_workers{state="ready"} 1\n');
    expect(text).toContain('mgr_workers{state="retiring"} 1\n');
    expect(text).toContain('mgr_workers{state="spare"} 1\n');
    expect(text).toContain("process_start_time_seconds 1700000000\n");
    // A spare serves nothing yet: no per-worker gauge for it.
    expect(text).not.toContain('pid="103"');
  });
});

describe("latencyQuantile", () => {
  it("interpolates within the bucket where the share is reached", () => {
    const counts = emptyLatencyCounts();
    counts[latencyBucket(3)] = 100; // (2.5 ms, 5 ms]
    expect(latencyQuantile(counts, 0.5)).toBeCloseTo(0.00375, 6);
    expect(latencyQuantile(emptyLatencyCounts(), 0.99)).toBeNull();
  });
});
