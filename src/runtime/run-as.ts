/**
 * The uid and gid the workers run as (`--user`, `--group`): names looked up in /etc/passwd and
 * /etc/group, as `id` would find a local account, or numbers taken as they are. Users from a network
 * directory (LDAP, through NSS) are not in those files: give their numbers.
 *
 * @module
 */

import { readFileSync } from "node:fs";

/** A uid and a gid to spawn with. */
export interface RunAs {
  uid: number;
  gid: number;
}

/** Why an account cannot be used, in words for the command line. */
export class AccountError extends Error {
  override name = "AccountError";
}

/**
 * The ids `user` and `group` name, or undefined when both are null. A user without a group runs in
 * its own primary group; a group alone keeps the current uid.
 *
 * @throws {AccountError} naming the account that is not found.
 */
export function resolveRunAs(user: string | null | undefined, group: string | null | undefined, files = readAccounts): RunAs | undefined {
  if (user == null && group == null) return undefined;
  const { passwd, groups } = files();
  let uid = currentId("getuid");
  let gid = currentId("getgid");
  if (user != null) {
    const entry = /^\d+$/.test(user) ? passwd.find((line) => line[2] === user) : passwd.find((line) => line[0] === user);
    if (entry === undefined && !/^\d+$/.test(user)) {
      throw new AccountError(`no user named ${user} in /etc/passwd (--user): create it, or give a numeric uid`);
    }
    uid = Number(entry?.[2] ?? user);
    gid = entry ? Number(entry[3]) : uid;
  }
  if (group != null) {
    const entry = /^\d+$/.test(group) ? undefined : groups.find((line) => line[0] === group);
    if (entry === undefined && !/^\d+$/.test(group)) {
      throw new AccountError(`no group named ${group} in /etc/group (--group): create it, or give a numeric gid`);
    }
    gid = Number(entry?.[2] ?? group);
  }
  return { uid, gid };
}

/** The fields of each line of /etc/passwd and /etc/group. */
function readAccounts(): { passwd: string[][]; groups: string[][] } {
  const fields = (path: string) => {
    try {
      return readFileSync(path, "utf8").split("\n").filter((line) => line && !line.startsWith("#")).map((line) => line.split(":"));
    } catch {
      return [];
    }
  };
  return { passwd: fields("/etc/passwd"), groups: fields("/etc/group") };
}

function currentId(which: "getuid" | "getgid"): number {
  const process = (globalThis as unknown as { process?: Record<string, (() => number) | undefined> }).process;
  return process?.[which]?.() ?? 0;
}
