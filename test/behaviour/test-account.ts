/**
 * The system account the privilege tests run workers (or a master) as, created on first use.
 *
 * @module
 */

import { execFileSync } from "node:child_process";

/** The account's name: a system user without a home or a login. */
export const TEST_ACCOUNT = "mgr-worker-test";

/** Creates {@linkcode TEST_ACCOUNT} unless it exists (this needs root), and returns its uid and gid. */
export function ensureTestAccount(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync("id", [flag, TEST_ACCOUNT], { encoding: "utf8" }).trim());
  try {
    id("-u");
  } catch {
    try {
      execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_ACCOUNT], { stdio: "ignore" });
    } catch {
      // Created meanwhile by a concurrent run: id answers below.
    }
  }
  return { uid: id("-u"), gid: id("-g") };
}
