/**
 * The USR2 upgrade and socket activation as users meet them, on every runtime in RUNTIMES: a master
 * in a terminal (whose resizes send WINCH), a release directory switched by a symlink, a Deno master's
 * sockets leaking into the new master, a unix socket passed by systemd, and `bunx`'s launcher; and on
 * RUNTIMES_WITH_FLOOR, a stop sent right after the USR2, also when the new release cannot start.
 */

import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
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
  getUnix,
  isAlive,
  loadLoop,
  Master,
  mgrCommand,
  ROOT,
  runtimeFamily,
  RUNTIMES,
  RUNTIMES_WITH_FLOOR,
  startServing,
  waitFor,
} from "./harness.ts";
import { socketInodes } from "./proc-sockets.ts";
import { addStrayMaster, killStrayMasters, readPid, signal, waitForNewMaster } from "./stray-masters.ts";

const APP = `${FIXTURES}app.ts`;
const IN_TERMINAL = `${ROOT}test/support/in-terminal.py`;

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mgr-upgrade-attacks-"));
});
afterEach(async () => {
  killStrayMasters();
  await destroyAllMasters();
  rmSync(dir, { recursive: true, force: true });
});


/** The inode of the unix socket listening at `path`, from /proc/net/unix. */
function unixSocketInode(path: string): number | undefined {
  const line = readFileSync("/proc/net/unix", "utf8").split("\n").find((l) => l.endsWith(` ${path}`));
  return line === undefined ? undefined : Number(line.trim().split(/\s+/)[6]);
}

describe.each(RUNTIMES)("upgrade attacks on %s", (runtime) => {
  it("in a terminal, leaves the workers be at WINCH (a resize) unless an upgrade is under way", async () => {
    const port = await freePort();
    const pidfile = join(dir, "app.pid");
    const terminal = new Master("command", [
      "python3",
      IN_TERMINAL,
      ...mgrCommand(runtime),
      APP,
      "-w",
      "1",
      "-b",
      `127.0.0.1:${port}`,
      "--pid",
      pidfile,
    ]);
    const master = await waitFor("the master's pid", () => readPid(pidfile), { timeoutMs: 15_000 });
    addStrayMaster(master);
    await terminal.waitForLine(/Ready: 1 worker serving/, 15_000);
    const workers = childPids(master);

    signal(master, "SIGWINCH");
    await terminal.waitForLine(/Ignoring SIGWINCH|Stopping every worker/);
    expect(terminal.lines(/Stopping every worker/)).toEqual([]);
    expect(childPids(master)).toEqual(workers);

    // The upgrade's second step still works in a terminal.
    signal(master, "SIGUSR2");
    await waitForNewMaster(terminal, pidfile, master);
    signal(master, "SIGWINCH");
    await waitFor("the old worker to be gone", () => workers.every((pid) => !isAlive(pid)), { timeoutMs: 15_000 });
    expect((await get(port, "/", { fresh: true })).status).toBe(200);
  });

  it("starts the new release when `current` was switched, and the new master holds none of the old one's sockets", async () => {
    const command = mgrCommand(runtime);
    for (const release of ["1", "2"]) {
      mkdirSync(join(dir, "releases", release), { recursive: true });
      writeFileSync(join(dir, "releases", release, "app.ts"), `export default { fetch: () => new Response("v${release}") };\n`);
      // The release's own mgr entry (node_modules/.bin/mgr in a real one), which says it ran.
      writeFileSync(
        join(dir, "releases", release, "entry.mjs"),
        `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(join(dir, "entry-ran"))}, "${release}");\nawait import(${JSON.stringify(command.at(-1))});\n`,
      );
    }
    const current = join(dir, "current");
    symlinkSync(join(dir, "releases", "1"), current);
    const port = await freePort();
    const pidfile = join(dir, "app.pid");
    // As a shell started in `current` runs it: PWD names the symlink, the kernel's working directory the release.
    const args = ["entry.mjs", "app.ts", "-w", "1", "-b", `127.0.0.1:${port}`, "--pid", pidfile];
    // Deno reads the imports of an entry outside the project from the project's config: a flag the new master needs too.
    const flags = runtime === "deno" ? ["--config", `${ROOT}deno.json`] : [];
    const master = new Master("command", [...command.slice(0, -1), ...flags, ...args], { PWD: current }, current);
    await master.waitForLine(/Ready: 1 worker serving/, 15_000);
    const [oldWorker] = await master.waitForWorkers(1);

    symlinkSync(join(dir, "releases", "2"), `${current}.next`);
    renameSync(`${current}.next`, current);
    master.signal("SIGUSR2");
    const newMaster = await waitForNewMaster(master, pidfile, master.pid);
    const control = unixSocketInode(join(dir, "app.pid.oldbin.mgr-control.sock"));
    expect(control).toBeDefined();
    expect(socketInodes(newMaster).has(control!)).toBe(false);

    master.signal("SIGWINCH");
    await waitFor("the old worker to be gone", () => !isAlive(oldWorker!), { timeoutMs: 15_000 });
    expect((await get(port, "/", { fresh: true })).body).toBe("v2");
    expect(readFileSync(join(dir, "entry-ran"), "utf8")).toBe("2");
  });

  if (runtimeFamily(runtime) === "node") {
    it("brings the old workers back at HUP after WINCH while the new master runs, and serves on without it", async () => {
      const port = await freePort();
      const pidfile = join(dir, "app.pid");
      const master = new Master(runtime, [APP, "-w", "1", "-b", `127.0.0.1:${port}`, "--pid", pidfile]);
      await master.waitForLine(/Ready: 1 worker serving/, 15_000);
      const [oldWorker] = await master.waitForWorkers(1);
      const load = loadLoop(port);
      try {
        master.signal("SIGUSR2");
        const newMaster = await waitForNewMaster(master, pidfile, master.pid);
        master.signal("SIGWINCH");
        await waitFor("the old worker to be gone", () => !isAlive(oldWorker!), { timeoutMs: 15_000 });

        // Gunicorn's way back from a new release that misbehaves: HUP the old master, TERM the new one.
        master.signal("SIGHUP");
        const backAgain = await waitFor("the old master's worker back, serving", () => {
          const worker = childPids(master.pid).find((pid) => pid !== newMaster);
          return worker !== undefined && load.result.pids.has(worker) ? worker : undefined;
        }, { timeoutMs: 15_000 });
        signal(newMaster, "SIGTERM");
        await waitFor("the new master to exit", () => !isAlive(newMaster), { timeoutMs: 15_000 });
        const served = load.result.ok;
        await waitFor("serving on", () => load.result.ok >= served + 100);
        expect(childPids(master.pid)).toEqual([backAgain]);
      } finally {
        await load.stop();
      }
      expect(load.result.errors).toEqual([]);
      expect(master.lines(/Cannot listen/)).toEqual([]);
    });

    it("serves a unix socket passed by socket activation, and through a USR2 upgrade", async () => {
      const socket = join(dir, "app.sock");
      const pidfile = join(dir, "app.pid");
      const master = new Master("command", ["systemd-socket-activate", "-l", socket, ...mgrCommand(runtime), APP, "-w", "1", "--pid", pidfile]);
      await master.waitForLine(/Listening on .* as 3/);
      // systemd-socket-activate starts the service at the first connection.
      await new Promise<void>((resolve, reject) => {
        const knock = connect(socket, () => {
          knock.destroy();
          resolve();
        });
        knock.once("error", reject);
      });
      expect(await master.waitForLine(/Ready: 1 worker serving|Shutting down/, 15_000)).toMatch(/Ready/);
      expect(await getUnix(socket, "/")).toBe("ok");

      master.signal("SIGUSR2");
      await waitForNewMaster(master, pidfile, master.pid);
      master.signal("SIGWINCH");
      await master.waitForLine(/Stopping every worker/);
      master.signal("SIGTERM");
      expect((await master.waitForExit(15_000)).code).toBe(0);
      expect(await getUnix(socket, "/")).toBe("ok");
    });
  }

  if (runtime === "bun") {
    it("under bunx, relays USR2 from the launcher to the Bun master", async () => {
      const port = await freePort();
      const pidfile = join(dir, "app.pid");
      // What `bunx mgr` runs: the bin under Node, told by the environment that Bun launched it.
      const launcher = new Master("command", [process.execPath, `${ROOT}dist/src/cli/bin.js`, APP, "-w", "1", "-b", `127.0.0.1:${port}`, "--pid", pidfile], {
        npm_config_user_agent: "bun/1.4.5 npm/? node/v24.0.0 linux x64",
        npm_execpath: `${ROOT}node_modules/.bin/bun`,
      });
      await launcher.waitForLine(/Ready: 1 worker serving/, 15_000);
      const master = readPid(pidfile)!;
      addStrayMaster(master);
      expect(master).not.toBe(launcher.pid);

      launcher.signal("SIGUSR2");
      await waitForNewMaster(launcher, pidfile, master);
      expect(isAlive(launcher.pid) && isAlive(master)).toBe(true);
    });
  }
});

describe.each(RUNTIMES_WITH_FLOOR)("a stop right after USR2 on %s", (runtime) => {
  /**
   * Starts a master of 2 workers with a pidfile, sends it USR2 then `stop` as one would from a shell,
   * and checks that the old master exits 0 and leaves the new one serving under the usual names.
   */
  async function stopRightAfterUpgrade(stop: "SIGTERM" | "SIGQUIT" | "SIGINT", { waitForUsr2 = false } = {}) {
    const port = await freePort();
    const pidfile = join(dir, "app.pid");
    const master = await startServing(runtime, APP, port, ["-w", "2", "--pid", pidfile]);
    const oldWorkers = await master.waitForWorkers(2);
    const load = loadLoop(port);
    let newMaster: number;
    try {
      await waitFor("some load to be served", () => load.result.ok >= 200);
      master.signal("SIGUSR2");
      // Sent together, QUIT (3) and INT (2) are taken before USR2 (12), as Gunicorn takes them: wait for it.
      if (waitForUsr2) await master.waitForLine(/Handling signal: usr2/);
      master.signal(stop);
      expect(await master.waitForExit(30_000), master.log).toEqual({ code: 0, signal: null });
      newMaster = await waitFor(`the new master in the pidfile\n--- log ---\n${master.log}`, () => {
        const pid = readPid(pidfile);
        return pid !== undefined && pid !== master.pid ? pid : undefined;
      });
      addStrayMaster(newMaster);
      expect(master.lines(new RegExp(`Upgrading: started a new master \\(pid: ${newMaster}\\)`))).toHaveLength(1);
      const servedAtExit = load.result.ok;
      await waitFor("serving on after the old master's exit", () => load.result.ok >= servedAtExit + 200, { timeoutMs: 20_000 });
      expect(isAlive(newMaster)).toBe(true);
      expect(oldWorkers.some(isAlive)).toBe(false);
      expect(readPid(pidfile)).toBe(newMaster);
      expect(existsSync(`${pidfile}.oldbin`)).toBe(false);
    } finally {
      await load.stop();
    }
    const newWorkers = childPids(newMaster);
    expect(newWorkers).toHaveLength(2);
    expect(newWorkers.some((pid) => load.result.pids.has(pid))).toBe(true);
    signal(newMaster, "SIGTERM");
    await waitFor("the new master and its workers to stop", () => ![newMaster, ...newWorkers].some(isAlive), { timeoutMs: 15_000 });
    expect(existsSync(pidfile)).toBe(false);
    return { result: load.result, log: master.log };
  }

  it("TERM to the old master at once after USR2 ends only the old master: the new one serves, nothing is lost", async () => {
    const { result } = await stopRightAfterUpgrade("SIGTERM");
    expectNoLostRequests(runtime, result.errors, 2);
    expect(result.non2xx).toBe(0);
  });

  it("QUIT to the old master once it took USR2 ends only the old master, quickly: the new one serves", async () => {
    await stopRightAfterUpgrade("SIGQUIT", { waitForUsr2: true });
  });

  it("TERM with a USR2 whose new master cannot start is dropped: the old master serves on under its names, and a second TERM stops it", async () => {
    const app = join(dir, "app.ts");
    copyFileSync(APP, app);
    const port = await freePort();
    const pidfile = join(dir, "app.pid");
    const master = await startServing(runtime, app, port, ["-w", "2", "--pid", pidfile]);
    const workers = await master.waitForWorkers(2);
    // The master's own lines, for failure messages: the new app's stack would send vitest looking for its source map.
    const log = () => master.lines(/^\[\d{4}-/).join("\n");
    const load = loadLoop(port);
    try {
      await waitFor("some load to be served", () => load.result.ok >= 200);
      // The new release fails at import: its master exits 4 before it serves.
      writeFileSync(app, 'throw new Error("broken deploy");\n');
      master.signal("SIGUSR2");
      master.signal("SIGTERM");
      await master.waitForLine(/The new master \(pid: \d+\) exited with code \d+/, 20_000);
      const servedAtExit = load.result.ok;
      await waitFor("serving on after the new master's exit", () => load.result.ok >= servedAtExit + 200 || !isAlive(master.pid), { timeoutMs: 20_000 });
      expect(isAlive(master.pid), log()).toBe(true);
      expect(master.lines(new RegExp(`\\[${master.pid}\\] \\[INFO\\] Shutting down`)), log()).toEqual([]);
      expect(master.lines(/\[ERROR\] The new master \(pid: \d+\) exited with code 4 before it served; this master goes on serving and drops the TERM that came with the USR2: send TERM again to stop it$/)).toHaveLength(1);
      expect(master.workers()).toEqual(workers);
      expect(readPid(pidfile)).toBe(master.pid);
      expect(existsSync(`${pidfile}.oldbin`)).toBe(false);
    } finally {
      await load.stop();
    }
    expect(load.result.errors).toEqual([]);

    master.signal("SIGTERM");
    expect(await master.waitForExit(15_000), log()).toEqual({ code: 0, signal: null });
    expect(existsSync(pidfile)).toBe(false);
  });
});
