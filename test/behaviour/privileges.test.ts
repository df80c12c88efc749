/**
 * Workers that run as another user (`--user`, `--group`, `--umask`), on every runtime: the master
 * keeps its own account to bind and signal, the workers' processes have the given uid and gid and
 * still serve, SIGHUP (new workers, same account) and SIGUSR1 (reopened logs, after a rotation moved
 * them) still work, and the log files the workers write are theirs. Needs root, which creates the user.
 */

import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { destroyAllMasters, FIXTURES, freePort, get, runMgr, RUNTIMES_WITH_FLOOR, startServing, waitFor } from "./harness.ts";
import { ensureTestAccount, TEST_ACCOUNT } from "./test-account.ts";

const WORKER_USER = TEST_ACCOUNT;
const APP = `${FIXTURES}app.ts`;

let dir: string;
let account: { uid: number; gid: number };

beforeAll(() => {
  expect(process.getuid?.(), "this test creates a user and starts workers as it: run it as root").toBe(0);
  account = ensureTestAccount();
  dir = mkdtempSync(join(tmpdir(), "mgr-privileges-"));
  chmodSync(dir, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The real uid and gid of `pid`, from /proc. */
function idsOf(pid: number): { uid: number; gid: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)![1]);
  return { uid: field("Uid"), gid: field("Gid") };
}

describe.each(RUNTIMES_WITH_FLOOR)("workers as another user on %s", (runtime) => {
  afterAll(destroyAllMasters);

  it("runs the workers as --user, keeps the master's account, and reloads and reopens logs as before", async () => {
    const port = await freePort();
    const logs = join(dir, runtime);
    execFileSync("mkdir", ["-p", logs]);
    const accessLog = join(logs, "access.log");
    const master = await startServing(runtime, APP, port, [
      "-w", "2", "--user", WORKER_USER, "--umask", "027", "--access-log", accessLog, "--pid", join(logs, "mgr.pid"),
    ]);
    const workers = await master.waitForWorkers(2);
    for (const pid of workers) expect(idsOf(pid)).toEqual(account);
    // No supplementary groups (root's would leak its file access): what docs/from-gunicorn.md says of initgroups.
    for (const pid of workers) expect(readFileSync(`/proc/${pid}/status`, "utf8")).toMatch(/^Groups:[ \t]*$/m);
    expect(idsOf(master.pid)).toEqual({ uid: 0, gid: 0 });
    expect((await get(port, "/", { fresh: true })).status).toBe(200);
    // The files the workers write are theirs; the master's control files stay the master's.
    await waitFor("an access log line", () => readFileSync(accessLog, "utf8").includes('"GET / HTTP/1.1" 200'));
    expect(statSync(accessLog).uid).toBe(account.uid);
    expect(statSync(join(logs, "mgr.pid")).uid).toBe(0);

    master.signal("SIGHUP");
    await waitFor("new workers", () => {
      const now = master.workers();
      return now.length === 2 && now.every((pid) => !workers.includes(pid)) ? now : undefined;
    }, { timeoutMs: 20_000 });
    for (const pid of master.workers()) expect(idsOf(pid)).toEqual(account);

    // A rotation moves the access log away; USR1 has a new one made, the workers' own, and written to.
    renameSync(accessLog, `${accessLog}.1`);
    master.signal("SIGUSR1");
    await waitFor("the new access log", () => existsSync(accessLog));
    await waitFor("a line in the new access log", async () => {
      await get(port, "/after-rotation", { fresh: true });
      return readFileSync(accessLog, "utf8").includes("/after-rotation");
    });
    expect(statSync(accessLog).uid).toBe(account.uid);
    // --umask 027: what the workers create is not readable by others.
    expect(statSync(accessLog).mode & 0o007).toBe(0);
    expect(master.lines(/\[ERROR\]/)).toEqual([]);
  }, 60_000);

  it("refuses an account that does not exist, in one line, before starting anything", async () => {
    const result = await runMgr(runtime, [APP, "--user", "no-such-user-here", "-b", `127.0.0.1:${await freePort()}`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^mgr: error: no user named no-such-user-here in \/etc\/passwd \(--user\): create it, or give a numeric uid/m);
  });
});
