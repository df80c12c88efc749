/**
 * What the master refuses before it starts anything, in one line with exit code 2, and `mgr check`
 * refusing the same in the same words: an account that does not exist, an account a master that is
 * not root cannot start workers as, a log file that cannot be opened. A master that is not root and
 * names its own account serves (a no-op, as with Gunicorn), and its pidfile is readable by others
 * whatever the umask. Gunicorn's --preload is taken, with a note. The masters that are not root run as a
 * user this test creates (it runs as root).
 */

import { spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { destroyAllMasters, FIXTURES, freePort, get, Master, mgrCommand, ROOT, runMgr, RUNTIMES, userEnvironment } from "./harness.ts";
import { ensureTestAccount, TEST_ACCOUNT } from "./test-account.ts";

const APP = `${FIXTURES}app.ts`;
/** The same user privileges.test.ts creates: a system account without a login. */
const MASTER_USER = TEST_ACCOUNT;

let dir: string;
let account: { uid: number; gid: number };

beforeAll(() => {
  expect(process.getuid?.(), "this test creates a user and starts masters as it: run it as root").toBe(0);
  account = ensureTestAccount();
  dir = mkdtempSync(join(tmpdir(), "mgr-start-checks-"));
  chmodSync(dir, 0o755);
  // The unprivileged master's home (Deno keeps its cache there) and where it writes its pidfile.
  chownSync(dir, account.uid, account.gid);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(destroyAllMasters);

/** `mgr ARGS` on `runtime`, started as the unprivileged user (setpriv execs, so the pid stays the master's). */
function asUser(runtime: string, args: string[]): string[] {
  return ["setpriv", `--reuid=${account.uid}`, `--regid=${account.gid}`, "--clear-groups", ...mgrCommand(runtime), ...args];
}

/** Runs a one-shot `mgr ARGS` on `runtime` as the unprivileged user, its home in the test's directory. */
function runAsUser(runtime: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [command, ...rest] = asUser(runtime, args);
  return new Promise((resolve, reject) => {
    const child = spawn(command!, rest, { cwd: ROOT, env: { ...userEnvironment(), HOME: dir }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`mgr ${args.join(" ")} did not finish within 20 s\n${stdout}${stderr}`));
    }, 20_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.each(RUNTIMES)("mgr check says what serving would on %s", (runtime) => {
  it("refuses an account that does not exist in serving's one line, exit 2", async () => {
    const port = String(await freePort());
    const served = await runMgr(runtime, [APP, "--user", "fasterapi", "-b", `127.0.0.1:${port}`]);
    const checked = await runMgr(runtime, ["check", APP, "--user", "fasterapi"]);
    expect(served.stderr).toBe("mgr: error: no user named fasterapi in /etc/passwd (--user): create it, or give a numeric uid (see mgr --help)\n");
    expect(checked).toEqual({ code: 2, stdout: "", stderr: served.stderr });
    expect(served.code).toBe(2);
  });

  it("refuses an access log in a directory that does not exist in serving's one line, exit 2", async () => {
    const log = join(dir, "no-such-directory", "access.log");
    const port = String(await freePort());
    const served = await runMgr(runtime, [APP, "--access-log", log, "-b", `127.0.0.1:${port}`]);
    const checked = await runMgr(runtime, ["check", APP, "--access-log", log]);
    expect(served.stderr).toMatch(new RegExp(`^mgr: error: cannot open the access log ${log}: ENOENT[^\\n]*\\n$`));
    expect(checked).toEqual({ code: 2, stdout: "", stderr: served.stderr });
    expect(served.code).toBe(2);
  });

  it("checks that the log files open and leaves none behind", async () => {
    const logs = mkdtempSync(join(dir, `logs-${runtime}-`));
    const checked = await runMgr(runtime, ["check", APP, "--access-log", join(logs, "access.log"), "--error-log", join(logs, "error.log")]);
    expect(checked.stderr).toBe("");
    expect(checked.code).toBe(0);
    expect(readdirSync(logs)).toEqual([]);
  });
});

describe.each(RUNTIMES)("mgr APP --preload on %s", (runtime) => {
  it("serves, and says at start in the config key's one line that preloading has no effect", async () => {
    const port = await freePort();
    const master = new Master(runtime, [APP, "--preload", "-w", "1", "-b", `127.0.0.1:${port}`]);
    await master.waitForLine(/\[INFO\] Ready: 1 worker serving/, 20_000);
    expect((await get(port, "/", { fresh: true })).status).toBe(200);
    expect(master.lines(/preload/i)).toEqual([expect.stringMatching(/\[INFO\] preloadApp has no effect: .*each worker imports the app itself/)]);
    master.signal("SIGTERM");
    expect((await master.waitForExit(15_000)).code).toBe(0);
  }, 40_000);
});

describe.each(RUNTIMES)("a master that is not root on %s", (runtime) => {
  it("refuses --user of another account at start, in one line that names the fix, exit 2", async () => {
    const port = String(await freePort());
    const expected = `mgr: error: --user daemon needs the master to run as root (it runs as uid ${account.uid}): start it as root, or drop --user (see mgr --help)\n`;
    const served = await runAsUser(runtime, [APP, "--user", "daemon", "-w", "1", "-b", `127.0.0.1:${port}`]);
    expect(served).toEqual({ code: 2, stdout: "", stderr: expected });
    const checked = await runAsUser(runtime, ["check", APP, "--user", "daemon"]);
    expect(checked).toEqual({ code: 2, stdout: "", stderr: expected });
  });

  it("refuses --group of another group the same way", async () => {
    const port = String(await freePort());
    const served = await runAsUser(runtime, [APP, "--group", "daemon", "-w", "1", "-b", `127.0.0.1:${port}`]);
    expect(served.stderr).toBe(
      `mgr: error: --group daemon needs the master to run as root (it runs as uid ${account.uid}, gid ${account.gid}): start it as root, or drop --group (see mgr --help)\n`,
    );
    expect(served.code).toBe(2);
  });

  it("serves with its own account as --user and --group, and writes a pidfile others can read under --umask 027", async () => {
    const port = await freePort();
    const pidfile = join(dir, `${runtime}.pid`);
    const master = new Master("command", asUser(runtime, [
      APP, "-w", "1", "-b", `127.0.0.1:${port}`, "--user", MASTER_USER, "--group", MASTER_USER, "--umask", "027", "--pid", pidfile,
    ]), { HOME: dir }, ROOT);
    await master.waitForLine(/\[INFO\] Ready: 1 worker serving/, 20_000);
    expect((await get(port, "/", { fresh: true })).status).toBe(200);
    // Gunicorn chmods its pidfile 0644 so that monitoring run as another user can read it.
    expect(statSync(pidfile).mode & 0o777).toBe(0o644);
    expect(master.lines(/\[ERROR\]/)).toEqual([]);
    master.signal("SIGTERM");
    expect((await master.waitForExit(15_000)).code).toBe(0);
    expect(existsSync(pidfile)).toBe(false);
  }, 40_000);
});
