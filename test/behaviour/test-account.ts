/**
 * The system accounts the privilege tests run workers, masters or attackers as, created on first use.
 *
 * @module
 */

import { execFileSync } from "node:child_process";

/** The account's name: a system user without a home or a login. */
export const TEST_ACCOUNT = "mgr-worker-test";

/** Creates the account `name` unless it exists (this needs root), and returns its uid and gid. */
export function ensureTestAccount(name = TEST_ACCOUNT): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync("id", [flag, name], { encoding: "utf8" }).trim());
  try {
    id("-u");
  } catch {
    try {
      execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], { stdio: "ignore" });
    } catch {
      // Created meanwhile by a concurrent run: id answers below.
    }
  }
  return { uid: id("-u"), gid: id("-g") };
}
