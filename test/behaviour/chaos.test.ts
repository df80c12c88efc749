/**
 * Chaos, on every runtime in RUNTIMES: workers SIGKILLed under load, an app that crash-loops, and
 * workers churned by reloads, scaling and recycling, with real masters, workers and HTTP.
 */

import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startChaosLoad, type LoadFailure } from "../../bench/chaos-load.ts";
import { describeKills, runChaos } from "../../bench/chaos-monkey.ts";
import { ownCpuTicks } from "../../bench/proc-children.ts";
import { clockTicksPerSecond } from "../../bench/process-tree-cpu.ts";
import { RESTART_BACKOFF_BASE_MS, RESTART_BACKOFF_CAP_MS } from "../../src/core/restart-backoff.ts";
import {
  destroyAllMasters,
  expectNoLostRequests,
  FIXTURES,
  freePort,
  Master,
  RUNTIMES,
  startServing,
  waitFor,
} from "./harness.ts";

const APP = `${FIXTURES}app.ts`;

describe.each(RUNTIMES)("chaos on %s", (runtime) => {
  afterEach(destroyAllMasters);

  it("keeps the pool full and loses only requests in flight while a random worker is SIGKILLed every 2 s", async () => {
    const port = await freePort();
    const master = await startServing(runtime, APP, port, ["-w", "2", "--log-level", "debug"]);
    await master.waitForWorkers(2);
    let masterExited = false;
    void master.exited.then(() => (masterExited = true));

    // 5 keep-alive and 5 new-connection clients, each at most one request per 40 ms: ~250 requests/s,
    // light enough for two shared cores that boot times, and so refill times, are not starved.
    const report = await runChaos({
      port,
      masterPid: master.pid,
      poolSize: 2,
      logLines: () => master.output,
      durationMs: KILL_LOOP_MS,
      intervalMs: KILL_INTERVAL_MS,
      warmupMs: 500,
      pollMs: 20,
      keepAliveClients: 5,
      freshClients: 5,
      periodMs: 40,
      timeoutMs: 5_000,
      pauseAfterFailureMs: 50,
      random: Math.random,
    });

    const diagnosis = `${describeKills(report)}\n  ok ${report.ok}, failed ${report.failures.length} ` +
      `(bound ${report.failureBound}, before any kill ${report.unattributed}), longest with none serving ` +
      `${report.longestEmptyMs} ms\n  failures: ${
        report.failures.slice(0, 10).map((f) => `${f.fresh ? "new-connection" : "keep-alive"} ${f.message}`).join("; ")
      }`;
    expect(report.kills.length, diagnosis).toBeGreaterThanOrEqual(KILL_LOOP_MS / KILL_INTERVAL_MS);
    expect(masterExited || report.masterDied, diagnosis).toBe(false);
    // (b) Full again within 1 s of every kill: two live children, each logged ready by the master.
    const slow = report.kills.filter((kill) => kill.refillMs === undefined || kill.refillMs > 1_000);
    expect(slow, `the pool was not full again within 1 s of every kill:\n${diagnosis}`).toEqual([]);
    // (a) A kill fails at most the requests in flight on its victim. Each client has at most one
    // request in flight and pauses after a failure until the master has seen the exit, so a kill
    // fails at most one request per client it exposes: every new-connection client (its next
    // connection may be handed to the victim) and every keep-alive client whose connection was on the
    // victim (or not known to be elsewhere). A keep-alive connection on the survivor cannot fail.
    expect(report.unattributed, diagnosis).toBe(0);
    expect(report.failures.length, diagnosis).toBeLessThanOrEqual(report.failureBound);
    // A fifth of the ~250 requests/s offered: the pool served through the kills, not just around them.
    expect(report.ok, diagnosis).toBeGreaterThan((KILL_LOOP_MS / 1000) * 50);

    // (c) The master is still there and stops cleanly.
    master.signal("SIGTERM");
    expect((await master.waitForExit(15_000)).code, master.log).toBe(0);
  });

  it("never leaves a connection unanswered when a worker is SIGKILLed under new-connection load", async () => {
    const port = await freePort();
    const master = await startServing(runtime, APP, port, ["-w", "2"]);
    const load = startChaosLoad({ port, keepAliveClients: 0, freshClients: 8, periodMs: 5, timeoutMs: 3_000, pauseAfterFailureMs: 50 });
    await waitFor("some load to be served", () => load.ok() >= 100);
    for (let kill = 0; kill < 5; kill++) {
      const [victim] = await master.waitForWorkers(2);
      process.kill(victim!, "SIGKILL");
      await waitFor("the killed worker to be replaced", () => !master.workers().includes(victim!) && master.workers().length === 2);
      const served = load.ok();
      await waitFor("more requests to be served", () => load.ok() >= served + 50);
    }
    await load.stop();

    // A request in flight on the victim may fail, but promptly (a reset): a client left waiting means
    // a connection was accepted for the victim and then neither served nor closed. node:cluster's
    // round-robin does that: the primary sends the victim a connection and keeps its own handle until
    // the worker answers, which a dead worker never does; the client hangs and the master keeps the
    // socket open for as long as it runs.
    const hung = load.failures.filter((f) => /timed out/.test(f.message));
    expect(hung, load.failures.map((f) => `${f.message} after ${f.endedAt - f.startedAt} ms`).join("\n")).toEqual([]);
  });
});

describe.each(RUNTIMES)("worker churn on %s", (runtime) => {
  afterEach(destroyAllMasters);

  it("answers every request through ten HUPs within a second under load", async () => {
    const port = await freePort();
    const master = await startServing(runtime, APP, port, ["-w", "2"]);
    const load = startChurnLoad(port);
    await waitFor("some load to be served", () => load.ok() >= 100);

    await sendSignals(master, Array.from({ length: 10 }, () => "SIGHUP"));
    await master.waitForLine(/Reload complete/, 15_000);
    const servedAfter = load.ok();
    await waitFor("load to be served after the reloads", () => load.ok() >= servedAfter + 100);
    await load.stop();

    expectEveryRequestAnswered(runtime, master, load.failures);
  });

  it("answers every request while workers are recycled, scaled and reloaded in quick succession", async () => {
    const port = await freePort();
    const master = await startServing(runtime, APP, port, ["-w", "2", "--max-requests", "20", "--max-requests-jitter", "5"]);
    const load = startChurnLoad(port);
    await waitFor("some load to be served", () => load.ok() >= 100);

    // Each TTIN boots a worker (or promotes the spare) and each TTOU drains the oldest, while
    // recycling replaces a worker every 20-odd requests and the HUPs replace whole generations.
    const churn: NodeJS.Signals[] = ["SIGTTIN", "SIGHUP", "SIGTTOU", "SIGTTIN", "SIGTTIN", "SIGHUP", "SIGTTOU", "SIGTTOU", "SIGHUP", "SIGTTIN", "SIGTTOU"];
    await sendSignals(master, churn);
    await sendSignals(master, churn);
    const servedAfter = load.ok();
    await waitFor("load to be served after the churn", () => load.ok() >= servedAfter + 300, { timeoutMs: 15_000 });
    await load.stop();

    const recycled = master.lines(/served \d+ requests; replacing it/).length;
    const replaced = workersReplaced(master);
    expect({ recycled: recycled >= 1, replaced: replaced >= 8 }, `${recycled} recycled, ${replaced} replaced`)
      .toEqual({ recycled: true, replaced: true });
    if (runtime !== "deno") return expectEveryRequestAnswered(runtime, master, load.failures);
    // A known defect, written in the README: under this much churn (drains overlapping with TTIN,
    // TTOU and whole reloads every 100 ms), a Deno worker still resets a few connections opened in the
    // last instant before its listener closes, about one in ten swaps, measured; single swaps
    // (recycling, a reload at a time) lose none. Nothing else may fail, and no client may hang.
    const described = load.failures.map((f) => `${f.fresh ? "new-connection" : "keep-alive"} ${f.message}`);
    expect(load.failures.filter((f) => !f.fresh || !/socket hang up|ECONNRESET/.test(f.message)), described.join("\n"))
      .toEqual([]);
    expect(load.failures.length, described.join("\n")).toBeLessThanOrEqual(Math.ceil(replaced / 5));
  });
});

// A crash-looping master mostly waits out its backoff, and what is measured is its own CPU time and
// the workers it starts (a bound that contention can only lower): the runtimes run side by side.
describe("a crash loop", () => {
  afterAll(destroyAllMasters);

  it.concurrent.each(RUNTIMES)("on %s backs off when the app crash-loops, and does not spin the CPU", async (runtime) => {
    const port = await freePort();
    const master = new Master(runtime, [`${FIXTURES}crash-after-ready.ts`, "-w", "2", "-b", `127.0.0.1:${port}`, "--log-level", "debug"]);
    const starts = () => master.lines(/Booting worker with pid/).length;
    await waitFor("the first worker to start", () => starts() > 0);
    const ticksBefore = ownCpuTicks(master.pid)!;
    const started = Date.now();
    // A fixed window is the measurement itself here: spawns and CPU time are counted over it.
    await new Promise((resolve) => setTimeout(resolve, CRASH_LOOP_WINDOW_MS));
    const startsInWindow = starts();
    const cpuMs = ((ownCpuTicks(master.pid)! - ticksBefore) * 1000) / clockTicksPerSecond();
    const elapsed = Date.now() - started;

    const bound = maxStartsWithBackoff(elapsed, CRASH_AFTER_SETUP_MS, 2);
    const diagnosis = `${startsInWindow} workers started in ${elapsed} ms (at most ${bound} with backoff; ` +
      `restarting at once would start one per worker every ${CRASH_AFTER_SETUP_MS} ms plus its boot)\n${master.log}`;
    expect(master.lines(/crashing on purpose/).length, diagnosis).toBeGreaterThanOrEqual(2);
    expect(master.lines(/Worker \(pid:\d+\) ready/).length, diagnosis).toBeGreaterThanOrEqual(2);
    expect(startsInWindow, diagnosis).toBeLessThanOrEqual(bound);
    expect(master.log, diagnosis).toMatch(/in a row; waiting \d+\.\d+s before starting a worker/);
    // A master that respawned in a tight loop would use most of a core; this one mostly waits.
    expect(cpuMs, `master CPU ${cpuMs} ms in ${elapsed} ms\n${diagnosis}`).toBeLessThan(elapsed * 0.1);

    master.signal("SIGTERM");
    expect((await master.waitForExit(15_000)).code, master.log).toBe(0);
  });
});

/** 5 keep-alive and 5 new-connection clients, each request with a 5 s deadline. */
function startChurnLoad(port: number) {
  return startChaosLoad({
    port,
    keepAliveClients: 5,
    freshClients: 5,
    periodMs: 10,
    timeoutMs: 5_000,
    pauseAfterFailureMs: 50,
  });
}

/** Sends `signals` to the master one every 100 ms. */
async function sendSignals(master: Master, signals: NodeJS.Signals[]): Promise<void> {
  for (const signal of signals) {
    master.signal(signal);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * No client hung (every request got a response or an error within its deadline), and no request
 * was lost beyond what {@linkcode expectNoLostRequests} allows per worker that exited.
 */
function expectEveryRequestAnswered(runtime: string, master: Master, failures: LoadFailure[]): void {
  const described = failures.map((f) => `${f.fresh ? "new-connection" : "keep-alive"} ${f.message} after ${f.endedAt - f.startedAt} ms`);
  expect(failures.filter((f) => /timed out/.test(f.message)), described.join("\n")).toEqual([]);
  expectNoLostRequests(runtime, failures, workersReplaced(master));
}

/** Workers started beyond the first two: each replaced one, or was itself dropped. */
function workersReplaced(master: Master): number {
  return master.lines(/Booting (spare )?worker with pid/).length - 2;
}

/**
 * How long the kill loop runs, in milliseconds: four kills, each one a full cycle of kill, reap, refill
 * and load on the survivor. `bench/chaos.ts` runs the same loop for a minute or more.
 */
const KILL_LOOP_MS = 8_000;
/** Time between two kills, in milliseconds. */
const KILL_INTERVAL_MS = 2_000;
/** How long the crash-loop case watches the master, in milliseconds. */
const CRASH_LOOP_WINDOW_MS = 6_000;
/** The crash-after-ready fixture's delay between its setup() and its exit, in milliseconds. */
const CRASH_AFTER_SETUP_MS = 300;

/**
 * The most workers a backing-off master can start in `windowMs` when each lives at least `lifeMs`:
 * per pool position, a start, one restart at once after the first crash, then waits of
 * RESTART_BACKOFF_BASE_MS doubling up to RESTART_BACKOFF_CAP_MS. Counting each position's streak
 * apart gives more starts than one streak shared by the pool, so the bound holds for either.
 */
function maxStartsWithBackoff(windowMs: number, lifeMs: number, workers: number): number {
  let starts = 0;
  let streak = 0;
  for (let at = 0; at <= windowMs; streak++) {
    starts++;
    at += lifeMs + (streak === 0 ? 0 : Math.min(RESTART_BACKOFF_BASE_MS * 2 ** (streak - 1), RESTART_BACKOFF_CAP_MS));
  }
  return starts * workers;
}
