import { describe, expect, it } from "vitest";
import { metricValue, parseMetrics } from "../../test/support/prometheus-text.ts";
import { createLogger } from "../core/logger.ts";
import { PoolCounters } from "../core/pool-counters.ts";
import type { StatusReport } from "../core/status-report.ts";
import { createAdminApp } from "./admin-app.ts";

const TOKEN = "s3cret-token-0123456789";

function status(overrides: Partial<StatusReport> = {}): StatusReport {
  const worker = {
    id: 1, pid: 2001, state: "ready" as const, retiring: false, spare: false, generation: 0, slot: 1, spawnedAt: 0, readyAt: 10,
    lastSeen: 900, served: 12, inFlight: 2, rss: 50_000_000, loopDelayMs: 1.5, restarts: 1, lastExit: "exited with code 1",
    ageMs: 1000, responsive: true,
  };
  return {
    pid: 1000, runtime: "node 20", phase: "running", workers: 2, ready: 1, startedAt: 0, now: 1000, maxRssBytes: 0,
    pool: [worker, { ...worker, id: 2, pid: 2002, slot: 2, state: "booting", responsive: false }],
    ...overrides,
  };
}

function app(token: string | null, report: () => StatusReport = () => status()) {
  const calls: string[] = [];
  const counters = new PoolCounters(() => 10_000);
  counters.record({ type: "served", requests: 40 });
  counters.record({ type: "restart", reason: "crash", oom: true });
  const admin = createAdminApp({
    status: () => ({ ...report(), counters: counters.snapshot() }),
    counters,
    reload: () => calls.push("reload"),
    scale: (n) => calls.push(`scale ${n}`),
    token,
    log: createLogger({ level: "critical", pid: 1, write: () => {} }),
  });
  const request = (path: string, init: RequestInit = {}) => admin.fetch(new Request(`http://admin${path}`, init));
  return { request, calls };
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe("createAdminApp", () => {
  it("answers /healthz always, and /readyz 200 only while a worker serves and the master runs", async () => {
    expect((await app(null).request("/healthz")).status).toBe(200);
    expect((await app(null).request("/readyz")).status).toBe(200);
    expect((await app(null, () => status({ ready: 0 })).request("/readyz")).status).toBe(503);
    expect(await (await app(null, () => status({ phase: "stopping" })).request("/readyz")).text()).toBe("not ready: the master is stopping\n");
  });

  it("serves /status as the status document, counters included", async () => {
    const body = await (await app(null).request("/status")).json();
    expect(body).toMatchObject({ pid: 1000, ready: 1, pool: [{ pid: 2001 }, { pid: 2002 }], counters: { requests: 40 } });
  });

  it("serves /metrics that a Prometheus text parser reads", async () => {
    const response = await app(null).request("/metrics");
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const metrics = parseMetrics(await response.text());
    expect(metricValue(metrics, "mgr_requests_total")).toBe(40);
    expect(metricValue(metrics, "mgr_worker_restarts_total", { reason: "crash" })).toBe(1);
    expect(metricValue(metrics, "mgr_worker_oom_kills_total")).toBe(1);
    expect(metricValue(metrics, "mgr_workers", { state: "booting" })).toBe(1);
    expect(metricValue(metrics, "mgr_workers", { state: "ready" })).toBe(1);
    expect(metricValue(metrics, "mgr_worker_rss_bytes", { slot: "1", pid: "2001" })).toBe(50_000_000);
    expect(metricValue(metrics, "mgr_worker_event_loop_delay_seconds", { pid: "2001" })).toBe(0.0015);
    expect(metricValue(metrics, "mgr_requests_in_flight")).toBe(4);
    expect(metrics.get("mgr_request_duration_seconds")?.type).toBe("HISTOGRAM");
    expect(metricValue(metrics, "process_start_time_seconds")).toBe(0);
  });

  it("wants the token on every data route when one is set, but not for health checks or the page", async () => {
    const { request } = app(TOKEN);
    for (const path of ["/status", "/metrics", "/history"]) {
      expect((await request(path)).status).toBe(401);
      expect((await request(path, bearer("wrong-token-0123456789"))).status).toBe(401);
      expect((await request(path, bearer(TOKEN))).status).toBe(200);
    }
    for (const path of ["/healthz", "/readyz", "/"]) expect((await request(path)).status).toBe(200);
  });

  it("reloads and scales with the token, and refuses both when no token is set", async () => {
    const guarded = app(TOKEN);
    expect((await guarded.request("/reload", { method: "POST" })).status).toBe(401);
    expect((await guarded.request("/reload", { method: "POST", ...bearer(TOKEN) })).status).toBe(202);
    const scale = { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" } };
    expect((await guarded.request("/scale", { ...scale, body: JSON.stringify({ workers: 3 }) })).status).toBe(202);
    expect((await guarded.request("/scale", { ...scale, body: JSON.stringify({ workers: 0 }) })).status).toBe(400);
    expect(guarded.calls).toEqual(["reload", "scale 3"]);
    const open = app(null);
    expect((await open.request("/reload", { method: "POST" })).status).toBe(403);
    expect(open.calls).toEqual([]);
  });

  it("serves the dashboard as one self-contained page that fetches its data", async () => {
    const response = await app(TOKEN).request("/");
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/https?:|\/\/[a-z]/i);
    expect(html).not.toMatch(/<(link|img|iframe)\b|<script[^>]*\bsrc=/i);
    expect(html).toContain('getJson("status")');
    expect(html).toContain('getJson("history?minutes=10")');
    expect(html).toContain('name="viewport"');
  });
});
