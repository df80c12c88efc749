/**
 * What serving refuses before it starts anything, each in one line with exit code 2, and `mgr check`
 * refuses in the same words: a workers' account that does not exist or that this master cannot start
 * processes as, and a log file that cannot be opened.
 *
 * @module
 */

import { lstatSync, rmSync } from "node:fs";
import type { Config } from "../core/config.ts";
import { errorMessage } from "../core/error-text.ts";
import { LogDestination } from "../runtime/log-file.ts";
import { AccountError, resolveRunAs, type RunAs } from "../runtime/run-as.ts";
import { findAccountSwitchProblem, type MasterAccount, readMasterAccount } from "./account-switch.ts";
import { UsageError } from "./usage-error.ts";

/**
 * The workers' account, if not the master's: it must exist, and the master must be allowed to start
 * processes as it (else every spawn would fail with EPERM).
 *
 * @throws {UsageError} naming the account and the fix.
 */
export function resolveWorkerAccount(config: Pick<Config, "user" | "group">, master: () => MasterAccount = readMasterAccount): RunAs | undefined {
  let account: RunAs | undefined;
  try {
    account = resolveRunAs(config.user, config.group);
  } catch (error) {
    if (error instanceof AccountError) throw new UsageError(error.message);
    throw error;
  }
  const problem = account && findAccountSwitchProblem(account, config, master());
  if (problem) throw new UsageError(problem);
  return account;
}

/**
 * Opens the `kind` log at `path` (`-` writes through `fallback`).
 *
 * @throws {UsageError} when it cannot be opened, with the reason.
 */
export function openLogFile(kind: "access" | "error", path: string, fallback: (text: string) => void): LogDestination {
  try {
    return new LogDestination(path, fallback);
  } catch (error) {
    throw new UsageError(`cannot open the ${kind} log ${path}: ${errorMessage(error)}`);
  }
}

/**
 * For `mgr check`: opens the access and error logs as serving would, then removes those it had to
 * create, so a check leaves nothing behind.
 *
 * @throws {UsageError} in serving's words when one cannot be opened.
 */
export function probeLogFiles(config: Pick<Config, "accessLog" | "errorLog">): void {
  const logs = [["access", config.accessLog], ["error", config.errorLog]] as const;
  for (const [kind, path] of logs) {
    if (path === null || path === "-") continue;
    const existed = exists(path);
    openLogFile(kind, path, () => {}).close();
    if (!existed) rmSync(path, { force: true });
  }
}

/** True when anything is at `path`, a dangling link included (removing that would not undo the probe). */
function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
