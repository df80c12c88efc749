/**
 * The admin endpoint's routes, as a Hono app the master serves itself: `/healthz`, `/readyz`,
 * `/status`, `/metrics`, `/history` (the dashboard's chart), `POST /reload`, `POST /scale` and the
 * dashboard at `/`.
 *
 * What it guards: with a token, every route but `/healthz`, `/readyz` and the dashboard's page (which
 * holds no data; it asks for the token) wants `Authorization: Bearer TOKEN`. Without one (loopback or
 * a unix socket only), reading is open and `POST /reload` and `POST /scale` are refused: a web page
 * the operator visits could otherwise post to a loopback port.
 *
 * @module
 */

import { Hono } from "hono";
import type { Context } from "hono";
import { MAX_WORKERS } from "../core/config.ts";
import type { Logger } from "../core/logger.ts";
import type { PoolCounters } from "../core/pool-counters.ts";
import { formatPrometheusMetrics, PROMETHEUS_CONTENT_TYPE } from "../core/prometheus-metrics.ts";
import { isReady, type StatusReport } from "../core/status-report.ts";
import { DASHBOARD_HTML } from "./admin-dashboard.ts";

/** Options of {@linkcode createAdminApp}. */
export interface AdminAppOptions {
  /** The master's status with its counters, as `mgr status --json` prints it. */
  status(): StatusReport;
  counters: PoolCounters;
  reload(): void;
  scale(workers: number): void;
  /** The bearer token, or null for none. */
  token: string | null;
  log: Logger;
}

/** Builds the admin app; its `fetch` is what the master serves. */
export function createAdminApp(options: AdminAppOptions): Hono {
  const { token, log } = options;
  const app = new Hono();
  const authorized = (c: Context) => token === null || sameText(c.req.header("authorization") ?? "", `Bearer ${token}`);
  const unauthorized = (c: Context) => {
    c.header("www-authenticate", 'Bearer realm="mgr"');
    return c.json({ error: "missing or wrong bearer token" }, 401);
  };

  app.use("*", async (c, next) => {
    await next();
    // The answers are live; a cache or a proxy must not keep them.
    c.header("cache-control", "no-store");
  });
  app.get("/healthz", (c) => c.text("ok\n"));
  app.get("/readyz", (c) => {
    const status = options.status();
    if (isReady(status)) return c.text(`ready: ${status.ready} of ${status.workers} workers serving\n`);
    const why = status.phase !== "running" ? `the master is ${status.phase}` : "no worker is serving";
    return c.text(`not ready: ${why}\n`, 503);
  });
  app.get("/", (c) => {
    c.header("content-security-policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:");
    c.header("x-frame-options", "DENY");
    return c.html(DASHBOARD_HTML);
  });
  app.get("/status", (c) => (authorized(c) ? c.json(options.status()) : unauthorized(c)));
  app.get("/metrics", (c) => {
    if (!authorized(c)) return unauthorized(c);
    const status = options.status();
    c.header("content-type", PROMETHEUS_CONTENT_TYPE);
    return c.body(formatPrometheusMetrics(status, status.counters ?? options.counters.snapshot()));
  });
  app.get("/history", (c) => {
    if (!authorized(c)) return unauthorized(c);
    const minutes = Math.min(10, Math.max(1, Number(c.req.query("minutes") ?? 10) || 10));
    return c.json(options.counters.history(minutes));
  });

  const mutation = (c: Context) => {
    if (token === null) return c.json({ error: "set --admin-token to reload or scale from the admin endpoint" }, 403);
    return authorized(c) ? undefined : unauthorized(c);
  };
  app.post("/reload", (c) => {
    const refused = mutation(c);
    if (refused) return refused;
    log.info("Reload requested over the admin endpoint");
    options.reload();
    return c.json({ ok: true }, 202);
  });
  app.post("/scale", async (c) => {
    const refused = mutation(c);
    if (refused) return refused;
    const body = await c.req.json().catch(() => ({})) as { workers?: unknown };
    const workers = Number(body.workers ?? c.req.query("workers"));
    if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
      return c.json({ error: `workers must be an integer from 1 to ${MAX_WORKERS}` }, 400);
    }
    log.info(`Scale to ${workers} requested over the admin endpoint`);
    options.scale(workers);
    return c.json({ ok: true, workers }, 202);
  });
  app.notFound((c) => c.json({ error: "not found" }, 404));
  app.onError((error, c) => {
    log.error(`Admin endpoint: ${c.req.method} ${c.req.path} failed: ${error.message}`);
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}

/** Compares two strings in time that depends on their length only, so a token cannot be guessed byte by byte. */
function sameText(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length);
  let difference = a.length ^ b.length;
  for (let i = 0; i < length; i++) difference |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return difference === 0;
}
