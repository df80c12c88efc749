/**
 * Listening sockets a master is handed at start instead of binding its own: by systemd's socket
 * activation (`LISTEN_FDS`), or by the old master of a USR2 upgrade (see upgrade.ts). Either way the
 * variables are the master's alone and are removed from the environment its workers inherit, as
 * sd_listen_fds(3) does with `unset_environment`.
 *
 * @module
 */

import process from "node:process";
import type { ListenAddress } from "../core/protocol.ts";
import { checkListenAddress } from "../core/config.ts";

/** The first descriptor systemd passes (SD_LISTEN_FDS_START). */
export const LISTEN_FDS_START = 3;

/** The old master's pid, set by a USR2 upgrade. */
export const UPGRADE_FROM_ENV = "MGR_UPGRADE_FROM";
/** The old master's addresses, as JSON; inherited sockets appear as `{ fd, name }`. */
export const UPGRADE_BIND_ENV = "MGR_UPGRADE_BIND";

/** What a master was handed. */
export type InheritedListeners =
  | { from: "systemd"; bind: ListenAddress[] }
  | { from: "upgrade"; oldMaster: number; bind: ListenAddress[] };

/**
 * Reads, then removes, what `env` says this process (`pid`) inherited; undefined when nothing.
 * `LISTEN_FDS` counts only when `LISTEN_PID` is this process: set for another, it was inherited by
 * mistake from a parent.
 */
export function takeInheritedListeners(env: Record<string, string | undefined>, pid: number): InheritedListeners | undefined {
  const found = readInherited(env, pid);
  for (const name of ["LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", UPGRADE_FROM_ENV, UPGRADE_BIND_ENV]) {
    delete env[name];
    delete process.env[name];
  }
  return found;
}

function readInherited(env: Record<string, string | undefined>, pid: number): InheritedListeners | undefined {
  const oldMaster = Number(env[UPGRADE_FROM_ENV]);
  if (Number.isInteger(oldMaster) && oldMaster > 0 && env[UPGRADE_BIND_ENV]) {
    return { from: "upgrade", oldMaster, bind: parseUpgradeBind(env[UPGRADE_BIND_ENV]) };
  }
  const count = Number(env.LISTEN_FDS);
  if (!Number.isInteger(count) || count < 1) return undefined;
  if (env.LISTEN_PID !== undefined && Number(env.LISTEN_PID) !== pid) return undefined;
  return { from: "systemd", bind: Array.from({ length: count }, (_, i) => ({ fd: LISTEN_FDS_START + i })) };
}

/** The value of {@linkcode UPGRADE_BIND_ENV} for `bind`. */
export function formatUpgradeBind(bind: ListenAddress[]): string {
  return JSON.stringify(bind);
}

function parseUpgradeBind(text: string): ListenAddress[] {
  const list = JSON.parse(text) as unknown;
  if (!Array.isArray(list)) throw new Error(`${UPGRADE_BIND_ENV} is not a list of addresses`);
  return list.map((item) => checkListenAddress(UPGRADE_BIND_ENV, item));
}
