/**
 * Gunicorn's upgrade in place, on every runtime (Node 20 and 24, Bun, Deno): USR2 starts a new master
 * beside the old one, WINCH drains the old one's workers, TERM ends it, all under load with no failed
 * request and the pidfiles right at every step; and a new master that cannot start gives the names
 * back.
 */

import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  childPids,
  destroyAllMasters,
  expectNoLostRequests,
  FIXTURES,
  freePort,
  get,
  isAlive,
  loadLoop,
  runMgr,
  RUNTIMES_WITH_FLOOR,
  startServing,
  waitFor,
} from "./harness.ts";
import { killStrayMasters, readPid, signal, waitForNewMaster } from "./stray-masters.ts";

const APP = `${FIXTURES}app.ts`;

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mgr-upgrade-"));
});
afterEach(async () => {
  killStrayMasters();
  await destroyAllMasters();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(RUNTIMES_WITH_FLOOR)("USR2 upgrade on %s", (runtime) => {
  it("USR2, WINCH, then TERM to the old master under load: no failed request, pidfiles right at every step", async () => {
    const port = await freePort();
    const pidfile = join(dir, "app.pid");
    const oldbin = `${pidfile}.oldbin`;
    const adminPort = await freePort();
    const master = await startServing(runtime, APP, port, ["-w", "2", "--pid", pidfile, "--admin-bind", `127.0.0.1:${adminPort}`]);
    const oldWorkers = await master.waitForWorkers(2);
    expect(readPid(pidfile)).toBe(master.pid);
    const load = loadLoop(port);
    await waitFor("some load to be served", () => load.result.ok >= 200);

    master.signal("SIGUSR2");
    const newMaster = await waitForNewMaster(master, pidfile, master.pid, 2);
    expect(readPid(oldbin)).toBe(master.pid);
    const newWorkers = await waitFor("the new master's 2 workers", () => {
      const pids = childPids(newMaster);
      return pids.length === 2 ? pids : undefined;
    });
    // The old master still answers, under the .oldbin name.
    const status = await runMgr(runtime, ["status", "--pid", oldbin]);
    expect(status.stdout).toContain(`master ${master.pid}`);

    master.signal("SIGWINCH");
    await master.waitForLine(/Stopping every worker gracefully/);
    await waitFor("the old workers to be gone", () => oldWorkers.every((pid) => !isAlive(pid)), { timeoutMs: 15_000 });
    const servedAtWinch = load.result.ok;
    await waitFor("the new workers alone to serve", () => load.result.ok >= servedAtWinch + 200);
    expect(newWorkers.some((pid) => load.result.pids.has(pid))).toBe(true);
    expect([readPid(pidfile), readPid(oldbin)]).toEqual([newMaster, master.pid]);

    master.signal("SIGTERM");
    expect((await master.waitForExit(15_000)).code).toBe(0);
    expect(existsSync(oldbin)).toBe(false);
    expect(readPid(pidfile)).toBe(newMaster);
    const servedAtTerm = load.result.ok;
    await waitFor("serving on after the old master's exit", () => load.result.ok >= servedAtTerm + 200);
    // The admin address the old master held is the new one's once it has gone.
    await waitFor("the new master's admin endpoint", async () => {
      const answer = await get(adminPort, "/status", { fresh: true }).catch(() => undefined);
      return answer?.status === 200 && (JSON.parse(answer.body) as { pid: number }).pid === newMaster;
    });
    const result = await load.stop();

    expectNoLostRequests(runtime, result.errors, oldWorkers.length);
    expect(result.non2xx).toBe(0);
    const after = await runMgr(runtime, ["status", "--pid", pidfile]);
    expect(after.stdout).toContain(`master ${newMaster}`);

    signal(newMaster, "SIGTERM");
    await waitFor("the new master to stop", () => !isAlive(newMaster), { timeoutMs: 15_000 });
    expect(existsSync(pidfile)).toBe(false);
  });

  it("gives the names back and serves on when the new master cannot start", async () => {
    const app = join(dir, "app.ts");
    copyFileSync(APP, app);
    const port = await freePort();
    const pidfile = join(dir, "app.pid");
    const master = await startServing(runtime, app, port, ["-w", "2", "--pid", pidfile]);
    const workers = await master.waitForWorkers(2);

    writeFileSync(app, 'throw new Error("broken deploy");\n');
    master.signal("SIGUSR2");
    await master.waitForLine(/The new master \(pid: \d+\) exited with code \d+; this master goes on serving/, 20_000);
    await waitFor("the pidfile back", () => readPid(pidfile) === master.pid);
    expect(existsSync(`${pidfile}.oldbin`)).toBe(false);
    expect((await runMgr(runtime, ["status", "--pid", pidfile])).stdout).toContain(`master ${master.pid}`);
    expect(master.workers()).toEqual(workers);
    expect((await get(port, "/", { fresh: true })).status).toBe(200);
  });
});
