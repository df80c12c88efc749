import { describe, expect, it } from "vitest";
import { FakeClock } from "../../test/support/fake-clock.ts";
import { FakeRuntime } from "../../test/support/fake-runtime.ts";
import { type Config, DEFAULTS } from "./config.ts";
import { emptyLatencyCounts, latencyBucket } from "./latency-histogram.ts";
import { createLogger } from "./logger.ts";
import { HISTORY_STEP_MS, PoolCounters } from "./pool-counters.ts";
import { createSupervisor } from "./supervisor.ts";

/** A supervisor over the fake runtime whose pool events are counted, as `mgr serve` wires it. */
function harness(overrides: Partial<Config> = {}, reloadConfig?: () => Promise<Config>) {
  const clock = new FakeClock();
  const runtime = new FakeRuntime(clock);
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", pid: 1000, write: (l) => lines.push(l), clock });
  const counters = new PoolCounters(() => clock.now());
  const config: Config = { ...DEFAULTS, app: "/app.ts", workers: 2, ...overrides };
  const sup = createSupervisor({ runtime, config, logger, random: () => 0, reloadConfig, onPoolEvent: (e) => counters.record(e) });
  return { clock, runtime, sup, counters, logged: (text: string) => lines.filter((l) => l.includes(text)) };
}

/** Latency counts with `n` requests of `ms` milliseconds each. */
function durations(ms: number, n: number): number[] {
  const counts = emptyLatencyCounts();
  counts[latencyBucket(ms)] = n;
  return counts;
}

describe("PoolCounters fed by the supervisor", () => {
  it("sums the requests workers report, and keeps them when a worker is replaced", async () => {
    const { runtime, sup, counters } = harness();
    await sup.start();
    runtime.readyAll();
    runtime.worker(1).heartbeat(5);
    runtime.worker(2).heartbeat(3);
    runtime.worker(1).heartbeat(8);
    runtime.worker(1).exit({ signal: "SIGKILL" });
    runtime.worker(3).ready().heartbeat(2);
    expect(counters.snapshot().requests).toBe(8 + 3 + 2);
    expect(sup.status().pool.reduce((sum, w) => sum + w.served, 0)).toBe(3 + 2);
  });

  it("counts restarts by reason: crash, OOM kill, heartbeat timeout, boot failure", async () => {
    const { clock, runtime, sup, counters } = harness({ workers: 2, timeout: 10 });
    await sup.start();
    runtime.readyAll();
    runtime.worker(1).exit({ code: 1 });
    clock.advance(5_000);
    runtime.worker(2).exit({ signal: "SIGKILL" });
    runtime.worker(3).ready();
    runtime.worker(4).exit({ code: 3 });
    runtime.worker(5).ready();
    clock.advance(10_001); // no heartbeat from worker 3 or 5: both are killed for it
    for (const worker of runtime.alive().filter((w) => runtime.killed.some(([id]) => id === w.spec.id))) {
      worker.exit({ signal: "SIGKILL" });
    }
    const { restarts, oomKills } = counters.snapshot();
    expect(restarts).toEqual({ crash: 2, timeout: 2, "boot-failure": 1 });
    expect(oomKills).toBe(1);
  });

  it("counts recycles by reason and reloads by outcome", async () => {
    let fail = false;
    const { runtime, sup, counters } = harness({ workers: 2, maxRequests: 100 }, () =>
      fail ? Promise.reject(new Error("syntax error")) : Promise.resolve({ ...DEFAULTS, app: "/app.ts", workers: 2, maxRequests: 100 }));
    await sup.start();
    runtime.readyAll();
    runtime.worker(1).message({ type: "retire", served: 100 });
    runtime.readyAll();
    runtime.worker(1).exit({ code: 0 });
    runtime.signal("SIGHUP");
    await Promise.resolve();
    await Promise.resolve();
    runtime.readyAll();
    runtime.readyAll();
    for (const worker of runtime.alive().filter((w) => w.drained)) worker.exit({ code: 0 });
    fail = true;
    runtime.signal("SIGHUP");
    for (let i = 0; i < 5; i++) await Promise.resolve();
    const { recycles, reloads } = counters.snapshot();
    expect(recycles["max-requests"]).toBe(1);
    expect(recycles.reload).toBeGreaterThanOrEqual(2);
    expect(reloads).toEqual({ complete: 1, abandoned: 0, failed: 1 });
  });

  it("keeps a history of requests per second and p99 per step", async () => {
    const { clock, runtime, sup, counters } = harness({ workers: 1 });
    clock.advance(HISTORY_STEP_MS - (clock.now() % HISTORY_STEP_MS));
    await sup.start();
    runtime.readyAll();
    runtime.worker(1).message({ type: "heartbeat", served: 99, inFlight: 0, rss: 1, latency: durations(3, 99) });
    runtime.worker(1).message({ type: "heartbeat", served: 100, inFlight: 0, rss: 1, latency: durations(700, 1) });
    clock.advance(HISTORY_STEP_MS);
    const last = counters.history(1).at(-1)!;
    expect(last.requestsPerSecond).toBe(100 / (HISTORY_STEP_MS / 1000));
    expect(last.p99Ms).toBeGreaterThan(2.5);
    expect(last.p99Ms).toBeLessThanOrEqual(5);
    expect(counters.snapshot().latency.reduce((a, b) => a + b, 0)).toBe(100);
  });
});

describe("max-rss", () => {
  it("replaces a worker over the limit first, then drains it, logging the figure", async () => {
    const { runtime, sup, counters, logged } = harness({ workers: 1, maxRss: 200 });
    await sup.start();
    runtime.readyAll();
    // With recycling on, a spare is kept booted: it takes over in the time it needs to listen.
    expect(runtime.spawned.map((w) => w.spec.mode)).toEqual(["serve", "standby"]);
    expect(runtime.worker(1).spec.maxRssBytes).toBe(200 * 1024 * 1024);
    runtime.worker(2).message({ type: "booted" });
    runtime.worker(1).message({ type: "retire", served: 42, reason: "max-rss", rss: 210 * 1024 * 1024 });
    expect(logged("max-rss")).toEqual([expect.stringContaining("Worker (pid:2000) uses 210.0 MB of memory, over max-rss 200 MB; replacing it")]);
    expect(runtime.worker(2).sent).toContainEqual({ type: "serve" });
    expect(runtime.worker(1).drained).toBe(false);
    runtime.worker(2).message({ type: "ready" });
    expect(runtime.worker(1).drained).toBe(true);
    expect(counters.snapshot().recycles["max-rss"]).toBe(1);
    expect(counters.snapshot().requests).toBe(42);
  });
});
