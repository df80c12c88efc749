import { describe, expect, it } from "vitest";
import { findAccountSwitchProblem, type MasterAccount, readMasterAccount } from "./account-switch.ts";

const root: MasterAccount = { uid: 0, gid: 0, canSetUid: true, canSetGid: true };
const plain: MasterAccount = { uid: 1000, gid: 1000, canSetUid: false, canSetGid: false };

describe("findAccountSwitchProblem", () => {
  it("lets root start workers as any account", () => {
    expect(findAccountSwitchProblem({ uid: 1, gid: 1 }, { user: "daemon", group: null }, root)).toBeUndefined();
    expect(findAccountSwitchProblem({ uid: 0, gid: 33 }, { user: null, group: "www-data" }, root)).toBeUndefined();
  });

  it("lets a master that is not root name its own account, which changes nothing", () => {
    expect(findAccountSwitchProblem({ uid: 1000, gid: 1000 }, { user: "app", group: "app" }, plain)).toBeUndefined();
    expect(findAccountSwitchProblem({ uid: 1000, gid: 1000 }, { user: "1000", group: null }, plain)).toBeUndefined();
  });

  it("says in one line that another user needs a master started as root, and how to fix it", () => {
    expect(findAccountSwitchProblem({ uid: 1, gid: 1 }, { user: "daemon", group: null }, plain)).toBe(
      "--user daemon needs the master to run as root (it runs as uid 1000): start it as root, or drop --user",
    );
  });

  it("says the same of another group, naming --group when it was given", () => {
    expect(findAccountSwitchProblem({ uid: 1000, gid: 1 }, { user: null, group: "daemon" }, plain)).toBe(
      "--group daemon needs the master to run as root (it runs as uid 1000, gid 1000): start it as root, or drop --group",
    );
  });

  it("names --user when the group that would change is the user's own primary group", () => {
    expect(findAccountSwitchProblem({ uid: 1000, gid: 50 }, { user: "app", group: null }, plain)).toBe(
      "--user app (primary group 50) needs the master to run as root (it runs as uid 1000, gid 1000): start it as root, or drop --user",
    );
  });

  it("names the missing capability when the master is root without it (a container's dropped capabilities)", () => {
    const capped: MasterAccount = { uid: 0, gid: 0, canSetUid: false, canSetGid: true };
    expect(findAccountSwitchProblem({ uid: 1, gid: 1 }, { user: "daemon", group: null }, capped)).toBe(
      "--user daemon needs the CAP_SETUID capability, which the master (uid 0) does not have: grant it, or drop --user",
    );
  });
});

describe("readMasterAccount", () => {
  const status = (capEff: string) => `Name:\tnode\nUid:\t0\t0\t0\t0\nCapEff:\t${capEff}\n`;

  it("reads CAP_SETUID and CAP_SETGID from the effective capabilities", () => {
    expect(readMasterAccount({ uid: 0, gid: 0, status: status("000001fffeffffff") })).toEqual(root);
    expect(readMasterAccount({ uid: 0, gid: 0, status: status("0000000000000040") })).toEqual({ ...root, canSetUid: false });
    expect(readMasterAccount({ uid: 1000, gid: 1000, status: status("0000000000000000") })).toEqual(plain);
  });

  it("takes root as able to switch where there is no /proc", () => {
    expect(readMasterAccount({ uid: 0, gid: 0, status: undefined })).toEqual(root);
    expect(readMasterAccount({ uid: 1000, gid: 1000, status: undefined })).toEqual(plain);
  });
});
