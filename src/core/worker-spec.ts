/**
 * What the master tells each worker it spawns.
 *
 * @module
 */

import type { Config } from "./config.ts";
import type { HttpEdge, WorkerMode, WorkerSpec } from "./protocol.ts";

/** The longest interval between heartbeats, in milliseconds. */
export const MAX_HEARTBEAT_INTERVAL_MS = 1_000;

/** Options of {@linkcode buildWorkerSpec}. */
export interface BuildWorkerSpecOptions {
  id: number;
  mode: WorkerMode;
  /** A number in [0, 1) that picks this worker's max-requests jitter. */
  random: () => number;
  /** The config file, whose worker-side hooks the worker runs; null when there is none. */
  configFile: string | null;
}

/** Builds the spec of one worker from the config. */
export function buildWorkerSpec(config: Config, options: BuildWorkerSpecOptions): WorkerSpec {
  const timeoutMs = config.timeout * 1000;
  const jitter = config.maxRequests > 0 ? Math.floor(options.random() * (config.maxRequestsJitter + 1)) : 0;
  return {
    id: options.id,
    mode: options.mode,
    app: config.app,
    bind: config.bind,
    backlog: config.backlog,
    keepaliveMs: config.keepalive * 1000,
    edge: buildHttpEdge(config),
    // Two heartbeats per timeout period, so one late beat never gets a healthy worker killed.
    heartbeatMs: timeoutMs > 0 ? Math.min(MAX_HEARTBEAT_INTERVAL_MS, timeoutMs / 2) : MAX_HEARTBEAT_INTERVAL_MS,
    maxRequests: config.maxRequests > 0 ? config.maxRequests + jitter : 0,
    maxRssBytes: config.maxRss * 1024 * 1024,
    logLevel: config.logLevel,
    logFormat: config.logFormat,
    errorLog: config.errorLog,
    accessLog: config.accessLog,
    accessLogFormat: config.accessLogFormat,
    name: config.name,
    configFile: options.configFile,
    user: config.user,
    group: config.group,
  };
}

/** The HTTP edge of `config`, durations in milliseconds. */
export function buildHttpEdge(config: Omit<Config, "app" | "workers">): HttpEdge {
  return {
    limitRequestLine: config.limitRequestLine,
    limitRequestFields: config.limitRequestFields,
    limitRequestFieldSize: config.limitRequestFieldSize,
    limitRequestBody: config.limitRequestBody,
    headersTimeoutMs: config.headersTimeout * 1000,
    bodyTimeoutMs: config.bodyTimeout * 1000,
    requestTimeoutMs: config.requestTimeout * 1000,
    forwardedAllowIps: config.forwardedAllowIps,
    maxConnections: config.workerConnections,
    wsMaxSize: config.wsMaxSize,
    wsPingIntervalMs: config.wsPingInterval * 1000,
    wsPingTimeoutMs: config.wsPingTimeout * 1000,
  };
}
