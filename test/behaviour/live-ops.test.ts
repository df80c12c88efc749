/**
 * Live operations, on every runtime in RUNTIMES: reloads, scaling, the control commands, log
 * rotation, the pidfile, `mgr check` and `mgr print-config`, with real masters and real HTTP.
 */

import { copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  destroyAllMasters,
  expectNoLostRequests,
  FIXTURES,
  freePort,
  get,
  isAlive,
  loadLoop,
  Master,
  runMgr,
  RUNTIMES,
  runtimeFamily,
  startServing,
  waitFor,
  getUnix,
} from "./harness.ts";

const APP = `${FIXTURES}app.ts`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mgr-live-ops-"));
});
afterEach(async () => {
  await destroyAllMasters();
  rmSync(dir, { recursive: true, force: true });
});

/** Waits until the master's live workers are exactly `count` and none of `old` is among them. */
function waitForReplacement(master: Master, count: number, old: number[], timeoutMs = 15_000): Promise<number[]> {
  return waitFor(`${count} workers, none of ${old.join(", ")}`, () => {
    const pids = master.workers();
    return pids.length === count && pids.every((pid) => !old.includes(pid)) ? pids : undefined;
  }, { timeoutMs });
}

describe.each(RUNTIMES)("live operations on %s", (runtime) => {
  it("replaces every worker on SIGHUP under load without a failed request", async () => {
    const port = await freePort();
    const master = await startServing(runtime, APP, port, ["-w", "2"]);
    const before = await master.waitForWorkers(2);
    const load = loadLoop(port);
    await waitFor("some load to be served", () => load.result.ok >= 200);

    master.signal("SIGHUP");
    const after = await waitForReplacement(master, 2, before);
    const servedAtReload = load.result.ok;
    await waitFor("the new workers to serve under load", () => load.result.ok >= servedAtReload + 200);
    const result = await load.stop();

    expectNoLostRequests(runtime, result.errors, before.length);
    expect(result.non2xx).toBe(0);
    expect(after.some((pid) => result.pids.has(pid))).toBe(true);
    expect(before.every((pid) => !isAlive(pid))).toBe(true);
    await master.waitForLine(/Reload complete/);
  });

  it("keeps the old workers serving when a reload finds the app broken, and reloads once it is fixed", async () => {
    const app = join(dir, "app.ts");
    copyFileSync(APP, app);
    const port = await freePort();
    const master = await startServing(runtime, app, port, ["-w", "2"]);
    const before = await master.waitForWorkers(2);

    writeFileSync(app, 'throw new Error("broken deploy: syntax is fine, config is not");\n');
    master.signal("SIGHUP");
    await master.waitForLine(/Reload abandoned/);
    for (let i = 0; i < 10; i++) expect((await get(port, "/", { fresh: true })).status).toBe(200);
    // The new generation's other worker was told to stop and may take a moment to exit.
    await waitFor("only the old workers left", () => master.workers().join() === before.join());
    expect(master.workers()).toEqual(before);
    expect(master.lines(/broken deploy: syntax is fine, config is not/)).toHaveLength(1);
    expect(master.lines(/Reload abandoned/)).toHaveLength(1);

    copyFileSync(APP, app);
    master.signal("SIGHUP");
    await waitForReplacement(master, 2, before);
    expect((await get(port, "/", { fresh: true })).status).toBe(200);
  });

  it("adds a worker on TTIN and removes the oldest on TTOU", async () => {
    const port = await freePort();
    const master = await startServing(runtime, APP, port, ["-w", "2"]);
    const [oldest, second] = await master.waitForWorkers(2);
    master.signal("SIGTTIN");
    const three = await master.waitForWorkers(3);
    master.signal("SIGTTOU");
    const two = await master.waitForWorkers(2);
    expect(two).not.toContain(oldest);
    expect(two).toContain(second);
    expect(three).toEqual(expect.arrayContaining(two));
  });

  it("answers mgr status, scale, reload and stop over the control socket", async () => {
    const port = await freePort();
    const address = ["-b", `127.0.0.1:${port}`];
    const master = await startServing(runtime, APP, port, ["-w", "2"]);
    const before = await master.waitForWorkers(2);

    const status = await runMgr(runtime, ["status", ...address]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`master ${master.pid}`);
    expect(status.stdout).toMatch(/SLOT\s+PID\s+STATE\s+AGE\s+SERVED\s+IN-FLIGHT\s+RSS\s+RESTARTS\s+LAST EXIT/);
    for (const pid of before) expect(status.stdout).toMatch(new RegExp(`\\s${pid}\\s+ready\\s`));

    expect((await runMgr(runtime, ["scale", "3", ...address])).code).toBe(0);
    const three = await master.waitForWorkers(3);

    expect((await runMgr(runtime, ["reload", ...address])).code).toBe(0);
    await waitForReplacement(master, 3, three);

    const stop = await runMgr(runtime, ["stop", ...address]);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain("Stopped");
    expect((await master.waitForExit()).code).toBe(0);

    const gone = await runMgr(runtime, ["status", ...address]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^mgr: error: no master answers on .*; is it running\?/);
  });

  it("writes the access log to a new file at the old path after SIGUSR1", async () => {
    const log = join(dir, "access.log");
    const port = await freePort();
    const master = await startServing(runtime, APP, port, ["-w", "2", "--access-log", log]);
    await get(port, "/?before=rotation");
    await waitFor("the first access lines", () => existsSync(log) && readFileSync(log, "utf8").includes("before=rotation"));
    expect(readFileSync(log, "utf8")).toMatch(/^127\.0\.0\.1 - - \[[^\]]+\] "GET \/\?before=rotation HTTP\/1\.1" 200 /m);

    renameSync(log, `${log}.1`);
    master.signal("SIGUSR1");
    await master.waitForLine(/Reopening log files/);
    // Every worker must have reopened before the next line is checked: poll until one lands.
    await waitFor("a line in the new file", async () => {
      await get(port, "/?after=rotation", { fresh: true });
      return existsSync(log) && readFileSync(log, "utf8").includes("after=rotation");
    });
    expect(readFileSync(`${log}.1`, "utf8")).toContain("before=rotation");
    expect(readFileSync(log, "utf8")).not.toContain("before=rotation");
  });

  it("replaces a stale pidfile, refuses a live one, and removes only its own", async () => {
    const pidfile = join(dir, "mgr.pid");
    writeFileSync(pidfile, "999999\n"); // no such process
    const port = await freePort();
    const master = await startServing(runtime, APP, port, ["-w", "1", "--pid", pidfile]);
    expect(readFileSync(pidfile, "utf8").trim()).toBe(String(master.pid));

    const second = await runMgr(runtime, [APP, "-w", "1", "-b", `127.0.0.1:${await freePort()}`, "--pid", pidfile]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`Already running on PID ${master.pid}`);
    expect(readFileSync(pidfile, "utf8").trim()).toBe(String(master.pid));

    master.signal("SIGTERM");
    expect((await master.waitForExit()).code).toBe(0);
    expect(existsSync(pidfile)).toBe(false);

    // A master whose pidfile was taken over by another leaves it alone on exit.
    const third = await startServing(runtime, APP, port, ["-w", "1", "--pid", pidfile]);
    writeFileSync(pidfile, `${process.pid}\n`);
    third.signal("SIGTERM");
    await third.waitForExit();
    expect(readFileSync(pidfile, "utf8").trim()).toBe(String(process.pid));
  });

  it("checks that an app loads with mgr check, without serving it", async () => {
    const ok = await runMgr(runtime, ["check", APP]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`OK: the config is valid and ${APP} loads on ${runtimeFamily(runtime)}`);
    const broken = await runMgr(runtime, ["check", `${FIXTURES}import-error.ts`]);
    expect(broken.code).toBe(4);
    expect(broken.stderr.trim().split("\n")).toHaveLength(1);
    expect(broken.stderr).toContain("fixture import failure: the database URL is missing");
  });

  it("reads mgr.config.ts with its hooks, under env and flags, and prints where each value came from", async () => {
    const port = await freePort();
    writeFileSync(
      join(dir, "mgr.config.ts"),
      `export default {
  workers: 3,
  bind: "127.0.0.1:${port}",
  timeout: 12,
  whenReady(server: { workers: number }) { console.error("hook whenReady " + server.workers); },
  postWorkerInit(worker: { id: number }) { console.error("hook postWorkerInit " + worker.id); },
};
`,
    );
    const printed = await runMgr(runtime, ["print-config", APP, "-w", "2"], { cwd: dir, env: { MGR_TIMEOUT: "7" } });
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^workers\s+2\s+# flag --workers$/m);
    expect(printed.stdout).toMatch(/^timeout\s+7\s+# environment MGR_TIMEOUT$/m);
    expect(printed.stdout).toMatch(new RegExp(`^bind\\s+127\\.0\\.0\\.1:${port}\\s+# config file .*mgr\\.config\\.ts$`, "m"));
    expect(printed.stdout).toMatch(/^keepalive\s+5\s+# default$/m);

    const master = new Master(runtime, [APP], {}, dir);
    await master.waitForLine(/hook whenReady 3/, 15_000);
    expect(master.lines(/hook postWorkerInit \d/)).toHaveLength(3);
    expect((await get(port, "/")).status).toBe(200);
  });

  it("refuses a bad config file in one line with exit 2", async () => {
    writeFileSync(join(dir, "mgr.config.ts"), "export default { worker: 2 };\n");
    const result = await runMgr(runtime, [APP], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/mgr\.config\.ts: unknown key `worker`; did you mean `workers`\?/);
  });

  it("listens on a unix socket beside a TCP address, and removes it on a clean exit (Node); refuses it elsewhere", async () => {
    const socket = join(dir, "app.sock");
    const port = await freePort();
    if (runtimeFamily(runtime) !== "node") {
      const refused = await runMgr(runtime, [APP, "-b", `unix:${socket}`]);
      expect(refused.code).toBe(2);
      expect(refused.stderr.trim().split("\n")).toHaveLength(1);
      expect(refused.stderr).toContain(`cannot bind unix:${socket} on ${runtime}`);
      return;
    }
    const master = await startServing(runtime, APP, port, ["-w", "2", "-b", `unix:${socket}`]);
    await master.waitForLine(new RegExp(`Ready: 2 workers serving http://127\\.0\\.0\\.1:${port}, unix:${socket}`));
    const body = await getUnix(socket, "/pid");
    expect(master.workers()).toContain(Number(body));
    master.signal("SIGTERM");
    expect((await master.waitForExit()).code).toBe(0);
    expect(existsSync(socket)).toBe(false);
  });
});
