/**
 * Where a reload is, as one value: a reload is a sequence (read the config, run `onReload`, replace
 * every worker), and holding it in one union means no two steps can be in progress at once and the
 * pool to go back to is recorded exactly once, when the reload starts.
 *
 * @module
 */

import type { Config } from "./config.ts";

/** The config and pool size from before a reload, restored if the reload is abandoned. */
export interface PoolBeforeReload {
  config: Config;
  workers: number;
}

/**
 * `idle`: no reload. `reading-config`: the config file is being read again. `running-hook`: the new
 * config is in force and `onReload` runs before any new worker boots. `replacing`: workers of
 * `generation` boot and each old one is drained as a new one is ready; `bootFailures` counts the new
 * generation's failures in a row, so a generation that never boots is abandoned instead of retried
 * forever.
 */
export type ReloadState =
  | { phase: "idle" }
  | { phase: "reading-config" }
  | { phase: "running-hook"; before: PoolBeforeReload }
  | { phase: "replacing"; before: PoolBeforeReload; generation: number; bootFailures: number };

/** The state when no reload is in progress. */
export const NO_RELOAD: ReloadState = { phase: "idle" };
