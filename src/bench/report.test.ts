import { describe, expect, it } from "vitest";
import { compareSetups, summarizeRounds } from "./report.ts";
import type { RoundResult, SetupReport } from "./report.ts";
import { niceScale } from "./svg-chart.ts";
import { spreadOf } from "./stats.ts";

function round(n: number, requestsPerSecond: number, cpuMsPer1kRequests: number): RoundResult {
  return {
    round: n,
    requests: requestsPerSecond,
    seconds: 1,
    requestsPerSecond,
    latencyMs: { p50: 1, p90: 2, p99: 4 },
    non2xx: 0,
    socketErrors: 0,
    cpuMs: cpuMsPer1kRequests * requestsPerSecond / 1000,
    cpuMsPer1kRequests,
    serverCpuShare: 1,
    otherCpuShare: 0,
    loadGeneratorCpuShare: 0.5,
    processes: 3,
    rssBytes: { master: 50, workers: [100, 100] },
    coldStartMs: 500,
    workerReplaceMs: null,
    reload: null,
  };
}

function setup(id: string, kind: "mgr" | "baseline", runtime: "node" | "bun", rounds: RoundResult[]): SetupReport {
  return { id, name: id, kind, runtime, workers: 2, command: [], rounds, summary: summarizeRounds(rounds) };
}

describe("spreadOf", () => {
  it("gives the median, the quartiles and the extremes, and null for no figure", () => {
    expect(spreadOf([4, 1, 3, 2, null])).toEqual({ median: 2.5, q1: 1.75, q3: 3.25, min: 1, max: 4 });
    expect(spreadOf([null, null])).toBeNull();
  });
});

describe("compareSetups", () => {
  it("compares mgr with its runtime's baseline and with mgr on the first runtime", () => {
    const setups = [
      setup("mgr (node)", "mgr", "node", [round(1, 980, 10.2), round(2, 1000, 10)]),
      setup("node:cluster", "baseline", "node", [round(1, 1000, 10), round(2, 1000, 10)]),
      setup("mgr (bun)", "mgr", "bun", [round(1, 1960, 5), round(2, 2000, 5)]),
    ];
    const [baseline, runtime] = compareSetups(setups);
    expect(baseline).toMatchObject({ kind: "baseline", subject: "mgr (node)", reference: "node:cluster", throughputOk: true, cpuOk: true });
    expect(baseline!.throughputRatio).toBeCloseTo(0.99);
    expect(baseline!.pairedThroughputRatio).toBeCloseTo(0.99);
    expect(runtime).toMatchObject({ kind: "runtime", subject: "mgr (bun)", reference: "mgr (node)", throughputOk: null, cpuOk: null });
    expect(runtime!.throughputRatio).toBeCloseTo(2);
    expect(runtime!.cpuPerRequestRatio).toBeCloseTo(5 / 10.1);
  });

  it("sums the workers' memory per round", () => {
    expect(summarizeRounds([round(1, 1, 1)]).rssTotalBytes!.median).toBe(250);
  });
});

describe("niceScale", () => {
  it("rounds the axis up to 1, 2 or 5 times a power of ten", () => {
    expect(niceScale(87_000)).toEqual({ max: 100_000, step: 20_000 });
    expect(niceScale(4.2)).toEqual({ max: 5, step: 1 });
    expect(niceScale(0)).toEqual({ max: 1, step: 0.25 });
  });
});
