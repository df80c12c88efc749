/**
 * No worker outlives its master, and every worker that ran setup() tears down, on every runtime:
 * workers and the spare exit within 2 s of a SIGKILLed master, whether booting or serving, in
 * consecutive runs; a spare stopped at a graceful stop or a reload runs teardown(); no worker holds
 * a socket of the master's.
 */

import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { childPids, destroyAllMasters, FIXTURES, freePort, isAlive, Master, RUNTIMES, waitFor } from "./harness.ts";

afterEach(destroyAllMasters);

/** The promise: no process of the tree alive this long after the master's SIGKILL. */
const ORPHAN_LIMIT_MS = 2_000;
/**
 * Consecutive runs per runtime: Deno's orphans came 1 run in 5, so 6 runs catch such a fault in three
 * suites of four. `MGR_ORPHAN_RUNS=50 npx vitest run test/behaviour/orphans.test.ts` soaks longer.
 */
const RUNS = Number(process.env.MGR_ORPHAN_RUNS ?? 6);

/** Every live descendant of `pid`: children, grandchildren and so on. */
function descendants(pid: number): number[] {
  const found: number[] = [];
  for (const child of childPids(pid)) found.push(child, ...descendants(child));
  return found;
}

/**
 * Starts a master of 2 workers and a spare (`--max-requests` wants one), waits for `ready`, SIGKILLs
 * it and returns the processes of its tree still alive {@linkcode ORPHAN_LIMIT_MS} later, killing them.
 */
async function orphansAfterMasterKill(runtime: string, app: string, ready: (master: Master) => Promise<unknown>) {
  const port = await freePort();
  const master = new Master(runtime, [app, "-w", "2", "--max-requests", "1000", "-b", `127.0.0.1:${port}`]);
  await ready(master);
  const tree = descendants(master.pid);
  expect(tree.length, master.log).toBeGreaterThanOrEqual(3);
  master.signal("SIGKILL");
  await master.exited;
  const killedAt = Date.now();
  let alive = tree;
  while (alive.length > 0 && Date.now() - killedAt < ORPHAN_LIMIT_MS) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    alive = alive.filter(isAlive);
  }
  for (const pid of alive) process.kill(pid, "SIGKILL");
  return { alive, log: master.log };
}

/**
 * The sockets `pid` holds, but for its standard streams: those are the master's too when the master's
 * are sockets, and a runtime may keep copies of them under other numbers (Deno does).
 */
function socketsOf(pid: number): Set<string> {
  const targets = new Map<number, string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      targets.set(Number(fd), readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // Closed meanwhile.
    }
  }
  const stdio = new Set([0, 1, 2].map((fd) => targets.get(fd)));
  return new Set([...targets.values()].filter((target) => target.startsWith("socket:") && !stdio.has(target)));
}

/** The inodes (`socket:[N]`) of the TCP sockets listening on `port`, from /proc/net/tcp{,6}. */
function listenersOn(port: number): Set<string> {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const rows = ["tcp", "tcp6"].flatMap((file) => readFileSync(`/proc/net/${file}`, "utf8").split("\n").slice(1));
  const fields = rows.map((row) => row.trim().split(/\s+/));
  return new Set(fields.filter((f) => f[1]?.endsWith(hexPort) && f[3] === "0A").map((f) => `socket:[${f[9]}]`));
}

describe.each(RUNTIMES)("orphans on %s", (runtime) => {
  it(`leaves no worker or spare alive ${ORPHAN_LIMIT_MS} ms after the master is SIGKILLed while serving, ${RUNS} runs in a row`, async () => {
    for (let run = 1; run <= RUNS; run++) {
      // Every worker has run setup() (the spare too) and the pool serves.
      const { alive, log } = await orphansAfterMasterKill(runtime, `${FIXTURES}lifecycle.ts`, async (master) => {
        await master.waitForLine(/Ready: 2 workers serving/);
        await waitFor("3 setups", () => master.lines(/setup done/).length >= 3);
      });
      expect(alive, `run ${run}: still alive\n${log}`).toEqual([]);
    }
  }, RUNS * 8_000);

  it(`leaves no worker or spare alive ${ORPHAN_LIMIT_MS} ms after the master is SIGKILLed while they boot, ${RUNS} runs in a row`, async () => {
    for (let run = 1; run <= RUNS; run++) {
      // Killed the moment all three exist: importing the app, or inside a setup() that never ends.
      const { alive, log } = await orphansAfterMasterKill(runtime, `${FIXTURES}hang-setup.ts`, (master) => master.waitForWorkers(3));
      expect(alive, `run ${run}: still alive\n${log}`).toEqual([]);
    }
  }, RUNS * 6_000);

  it("gives its workers none of the master's sockets (its control socket's listener above all)", async () => {
    const port = await freePort();
    const master = new Master(runtime, [`${FIXTURES}app.ts`, "-w", "2", "--max-requests", "1000", "-b", `127.0.0.1:${port}`]);
    await master.waitForLine(/Ready: 2 workers serving/);
    const workers = await master.waitForWorkers(3);
    // Node's workers accept from the master's listening socket (cluster.SCHED_NONE): the one socket shared by design.
    const shared = listenersOn(port);
    const own = new Set([...socketsOf(master.pid)].filter((socket) => !shared.has(socket)));
    for (const worker of workers) {
      expect([...socketsOf(worker)].filter((socket) => own.has(socket)), `worker ${worker}`).toEqual([]);
    }
    master.signal("SIGTERM");
    expect((await master.waitForExit()).code).toBe(0);
  });
});

describe.each(RUNTIMES)("spares on %s", (runtime) => {
  /** Starts lifecycle.ts with one worker and a spare, both set up; returns the master and the spare's pid. */
  async function startWithSpare() {
    const port = await freePort();
    const master = new Master(runtime, [`${FIXTURES}lifecycle.ts`, "-w", "1", "--max-requests", "1000", "-b", `127.0.0.1:${port}`]);
    const spareLine = await master.waitForLine(/Booting spare worker with pid: \d+/);
    const spare = Number(/pid: (\d+)/.exec(spareLine)![1]);
    await master.waitForLine(new RegExp(`setup done \\(pid ${spare}\\)`));
    await master.waitForLine(/Ready: 1 worker serving/);
    return { master, spare };
  }

  it("runs the spare's teardown at a graceful stop, as every worker's", async () => {
    const { master, spare } = await startWithSpare();
    master.signal("SIGTERM");
    expect((await master.waitForExit()).code).toBe(0);
    const setUp = master.lines(/setup done/).map((line) => /pid (\d+)/.exec(line)![1]).sort();
    const tornDown = master.lines(/teardown done/).map((line) => /pid (\d+)/.exec(line)![1]).sort();
    expect(setUp).toContain(String(spare));
    expect(tornDown, master.log).toEqual(setUp);
  });

  it("runs the old spare's teardown when a reload replaces it", async () => {
    const { master, spare } = await startWithSpare();
    master.signal("SIGHUP");
    await master.waitForLine(new RegExp(`teardown done \\(pid ${spare}\\)`));
    await waitFor(`the old spare ${spare} to exit`, () => !isAlive(spare));
    master.signal("SIGTERM");
    expect((await master.waitForExit()).code).toBe(0);
  });
});
