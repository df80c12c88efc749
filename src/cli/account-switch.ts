/**
 * Whether this master may start its workers as the account `--user` and `--group` name. Only root
 * (precisely: CAP_SETUID and CAP_SETGID) can spawn a process as another uid or gid; without them every
 * spawn fails with EPERM, which the master would only learn from five failed workers. A master naming
 * its own account changes nothing and needs no privilege, as with Gunicorn.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";
import type { RunAs } from "../runtime/run-as.ts";

/** The master's own account and whether it may leave it. */
export interface MasterAccount {
  uid: number;
  gid: number;
  canSetUid: boolean;
  canSetGid: boolean;
}

/** The settings that chose the workers' account, as written (for the message). */
export interface AccountSettings {
  user: string | null;
  group: string | null;
}

// Bit numbers in /proc/PID/status's CapEff (linux/capability.h).
const CAP_SETGID = 6n;
const CAP_SETUID = 7n;

/**
 * Reads the master's account: its effective ids and, on Linux, its effective capabilities (root in a
 * container may have had CAP_SETUID dropped). Where there is no /proc, root is taken as able.
 */
export function readMasterAccount(
  source: { uid: number; gid: number; status: string | undefined } = currentProcess(),
): MasterAccount {
  const { uid, gid, status } = source;
  const capEff = status === undefined ? undefined : /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (capEff === undefined) return { uid, gid, canSetUid: uid === 0, canSetGid: uid === 0 };
  const caps = BigInt(`0x${capEff}`);
  return { uid, gid, canSetUid: ((caps >> CAP_SETUID) & 1n) === 1n, canSetGid: ((caps >> CAP_SETGID) & 1n) === 1n };
}

/**
 * Says in one line why the master cannot start workers as `target`, with the fix; undefined when it can.
 *
 * @example
 * ```ts
 * findAccountSwitchProblem({ uid: 1, gid: 1 }, { user: "daemon", group: null }, readMasterAccount());
 * // as uid 1000: "--user daemon needs the master to run as root (it runs as uid 1000): start it as root, or drop --user"
 * ```
 */
export function findAccountSwitchProblem(target: RunAs, settings: AccountSettings, master: MasterAccount): string | undefined {
  if (target.uid !== master.uid && !master.canSetUid) {
    return needs(`--user ${settings.user}`, "--user", "CAP_SETUID", `uid ${master.uid}`, master);
  }
  if (target.gid !== master.gid && !master.canSetGid) {
    // Without --group the gid that would change is the user's primary group.
    const [what, flag] = settings.group !== null
      ? [`--group ${settings.group}`, "--group"]
      : [`--user ${settings.user} (primary group ${target.gid})`, "--user"];
    return needs(what, flag, "CAP_SETGID", `uid ${master.uid}, gid ${master.gid}`, master);
  }
  return undefined;
}

function needs(what: string, flag: string, capability: string, runsAs: string, master: MasterAccount): string {
  if (master.uid === 0) return `${what} needs the ${capability} capability, which the master (uid 0) does not have: grant it, or drop ${flag}`;
  return `${what} needs the master to run as root (it runs as ${runsAs}): start it as root, or drop ${flag}`;
}

function currentProcess(): { uid: number; gid: number; status: string | undefined } {
  let status: string | undefined;
  try {
    status = readFileSync("/proc/self/status", "utf8");
  } catch {
    // Not Linux: no capabilities to read.
  }
  return { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0, status };
}
