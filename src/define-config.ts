/**
 * The typed helper for `mgr.config.ts`.
 *
 * @module
 */

import type { LogFormat } from "./core/logger.ts";
import type { Hooks } from "./core/hooks.ts";
import type { LogLevel } from "./core/protocol.ts";

/** What `mgr.config.ts` may set: every setting by its key, and the hooks by name. All optional. */
export interface UserConfig extends Hooks {
  app?: string;
  workers?: number;
  /** `HOST:PORT`, `[IPv6]:PORT` or `HOST`, or a list of them. */
  bind?: string | string[];
  backlog?: number;
  timeout?: number;
  gracefulTimeout?: number;
  keepalive?: number;
  maxRequests?: number;
  maxRequestsJitter?: number;
  logLevel?: LogLevel;
  accessLog?: string | null;
  accessLogFormat?: string;
  errorLog?: string;
  logFormat?: LogFormat;
  pidfile?: string | null;
  name?: string | null;
}

/**
 * Returns `config` as it is; it exists so an editor can check the file's keys and hooks.
 *
 * @example
 * ```ts
 * // mgr.config.ts
 * import { defineConfig } from "mgr";
 *
 * export default defineConfig({
 *   workers: 4,
 *   bind: "0.0.0.0:8000",
 *   maxRequests: 10_000,
 *   maxRequestsJitter: 500,
 *   whenReady(server) {
 *     console.log(`serving with ${server.workers} workers`);
 *   },
 * });
 * ```
 */
export function defineConfig(config: UserConfig): UserConfig {
  return config;
}
