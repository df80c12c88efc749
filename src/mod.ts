/**
 * mgr as a library: the config helper and the types a config file or an app may want.
 *
 * @module
 */

export { defineConfig } from "./define-config.ts";
export type { UserConfig } from "./define-config.ts";
export type { Hooks, ServerInfo, WorkerExit, WorkerRef } from "./core/hooks.ts";
export type { WorkerInfo } from "./core/worker-table.ts";
export type { LogLevel } from "./core/protocol.ts";
export type { LogFormat } from "./core/logger.ts";
export { getClientInfo } from "./runtime/client-info.ts";
export type { ResolvedClient } from "./runtime/client-resolver.ts";
