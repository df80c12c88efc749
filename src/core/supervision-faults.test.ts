/**
 * The supervisor under faults: kills in streaks, crash loops, boots that hang, reloads asked for
 * twice, signals it does not act on, and pools scaled past their bound.
 */

import { describe, expect, it } from "vitest";
import { FakeClock } from "../../test/support/fake-clock.ts";
import { FakeRuntime } from "../../test/support/fake-runtime.ts";
import { type Config, DEFAULTS, MAX_WORKERS } from "./config.ts";
import { CRASH_LOOP_WINDOW_MS } from "./exit-classification.ts";
import { createLogger } from "./logger.ts";
import { createSupervisor, MAX_BOOT_ATTEMPTS, SPAWN_BATCH, type SupervisorOptions } from "./supervisor.ts";
import { EXIT_WORKER_BOOT_ERROR } from "./exit-codes.ts";
import { RESTART_BACKOFF_CAP_MS } from "./restart-backoff.ts";

function start(overrides: Partial<Config> = {}, options: Pick<SupervisorOptions, "reloadConfig"> = {}) {
  const clock = new FakeClock();
  const runtime = new FakeRuntime(clock);
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", pid: 1000, write: (l) => lines.push(l), clock });
  const config: Config = { ...DEFAULTS, app: "/app.ts", workers: 2, ...overrides };
  const sup = createSupervisor({ runtime, config, logger, random: () => 0, ...options });
  const logged = (text: string) => lines.map((l) => l.replace(/^\[[^\]]+\] \[1000\] /, "")).filter((l) => l.includes(text));
  return { clock, runtime, sup, logged };
}

/** Lets pending promise reactions run until none is left to run (bounded). */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

describe("crash policy", () => {
  it("replaces a worker that had been serving at once, every time, however long the streak of kills", async () => {
    const { clock, runtime, sup, logged } = start({ workers: 2, timeout: 0 });
    await sup.start();
    runtime.readyAll();
    for (let kill = 0; kill < 30; kill++) {
      clock.advance(2_000);
      const victim = runtime.alive()[kill % 2]!;
      victim.exit({ signal: "SIGKILL" });
      // The replacement is spawned in the same turn: no wait, whatever the streak.
      expect(runtime.alive()).toHaveLength(2);
      runtime.alive().at(-1)!.ready();
    }
    expect(runtime.spawned).toHaveLength(32);
    expect(logged("in a row")).toEqual([]);
    expect(sup.workers().filter((w) => w.state === "ready")).toHaveLength(2);
  });

  it("backs off a worker that dies within the crash-loop window of becoming ready", async () => {
    const { clock, runtime, sup, logged } = start({ workers: 1, timeout: 0 });
    await sup.start();
    runtime.readyAll();
    clock.advance(CRASH_LOOP_WINDOW_MS - 1);
    runtime.worker(1).exit({ code: 1 });
    expect(runtime.spawned).toHaveLength(2); // the first of a streak is replaced at once
    runtime.worker(2).ready();
    clock.advance(CRASH_LOOP_WINDOW_MS - 1);
    runtime.worker(2).exit({ code: 1 });
    expect(runtime.spawned).toHaveLength(2);
    expect(logged("in a row")).toEqual(["[WARNING] 2 crashes in a row; waiting 0.25s before starting a worker"]);
    clock.advance(250);
    expect(runtime.spawned).toHaveLength(3);
  });

  it("ends a crash loop's backoff once a worker has served past the window", async () => {
    const { clock, runtime, sup } = start({ workers: 1, timeout: 0 });
    await sup.start();
    runtime.readyAll();
    runtime.worker(1).exit({ code: 1 });
    runtime.worker(2).ready();
    runtime.worker(2).exit({ code: 1 }); // a streak of 2: waits 250 ms
    clock.advance(250);
    runtime.worker(3).ready();
    clock.advance(CRASH_LOOP_WINDOW_MS);
    runtime.worker(3).exit({ code: 1 }); // it had served: at once, and the streak is over
    expect(runtime.spawned).toHaveLength(4);
    runtime.worker(4).ready();
    runtime.worker(4).exit({ code: 1 }); // a new streak starts at once too
    expect(runtime.spawned).toHaveLength(5);
  });

  it("still never spins on a crash loop: spawns stay bounded by the backoff", async () => {
    const { clock, runtime, sup } = start({ workers: 2, timeout: 0 });
    await sup.start();
    // Every worker becomes ready and dies at once, for a minute of fake time.
    for (let elapsed = 0; elapsed < 60_000; elapsed += 50) {
      for (const worker of runtime.alive()) worker.ready().exit({ code: 1 });
      clock.advance(50);
    }
    // Respawning at once would spawn thousands; the backoff (250 ms doubling to 15 s) keeps it to a handful.
    expect(runtime.spawned.length).toBeLessThan(20);
  });
});

describe("boot deadline", () => {
  it("kills a worker whose setup() never resolves, names the step, and counts a boot failure", async () => {
    const { clock, runtime, sup, logged } = start({ workers: 1, timeout: 10 });
    await sup.start();
    const worker = runtime.worker(1);
    // Alive and well (heartbeats keep coming), but stuck in setup().
    worker.heartbeat().message({ type: "booting", step: "import" }).message({ type: "booting", step: "setup" });
    for (let t = 0; t < 9; t++) {
      clock.advance(1_000);
      worker.heartbeat();
    }
    clock.advance(999);
    expect(runtime.killed).toEqual([]);
    clock.advance(1);
    expect(runtime.killed).toEqual([[1, "SIGKILL"]]);
    expect(logged("did not boot")).toEqual([
      "[ERROR] Worker (pid:2000) did not boot within 10s (in the app's setup()); killing it",
    ]);
    worker.exit({ signal: "SIGKILL" });
    expect(logged("[ERROR]")).toHaveLength(1); // logged once, when it was killed
    expect(runtime.spawned).toHaveLength(2);
  });

  it("ends the master with exit 3 when no worker ever boots in time", async () => {
    const { clock, runtime, sup, logged } = start({ workers: 1, timeout: 5 });
    await sup.start();
    for (let attempt = 1; attempt <= MAX_BOOT_ATTEMPTS; attempt++) {
      const worker = runtime.spawned.at(-1)!;
      worker.heartbeat().message({ type: "booting", step: "setup" });
      clock.advance(5_000);
      expect(runtime.killed).toHaveLength(attempt);
      worker.exit({ signal: "SIGKILL" });
      // Past the backoff, so the next worker is spawned before the next round.
      if (attempt < MAX_BOOT_ATTEMPTS) clock.advance(RESTART_BACKOFF_CAP_MS);
      if (attempt < MAX_BOOT_ATTEMPTS) expect(runtime.spawned).toHaveLength(attempt + 1);
    }
    await settle();
    expect(await Promise.race([sup.done, Promise.resolve("pending")])).toBe(EXIT_WORKER_BOOT_ERROR);
    expect(logged("did not boot")).toHaveLength(MAX_BOOT_ATTEMPTS);
    expect(logged("Reason")).toEqual(["[ERROR] Reason: Worker failed to boot."]);
  });

  it("says the runtime never started when the worker never spoke", async () => {
    const { clock, runtime, sup, logged } = start({ workers: 1, timeout: 3 });
    await sup.start();
    clock.advance(3_000);
    expect(runtime.killed).toEqual([[1, "SIGKILL"]]);
    expect(logged("did not boot")).toEqual(["[ERROR] Worker (pid:2000) did not boot within 3s (its runtime never started); killing it"]);
    expect(logged("WORKER TIMEOUT")).toEqual([]); // the watchdog fell due at the same moment: one kill, one line
  });

  it("is met by a spare once its app is loaded, and armed again when it is promoted", async () => {
    const { clock, runtime, sup, logged } = start({ workers: 1, timeout: 4, maxRequests: 100 });
    await sup.start();
    runtime.worker(1).ready();
    const spare = runtime.worker(2);
    expect(spare.spec.mode).toBe("standby");
    spare.heartbeat().message({ type: "booted" });
    for (let t = 0; t < 10; t++) {
      clock.advance(1_000);
      spare.heartbeat();
      runtime.worker(1).heartbeat();
    }
    expect(runtime.killed).toEqual([]); // waiting as a spare is not booting late
    runtime.worker(1).message({ type: "retire", served: 100 });
    expect(spare.sent).toEqual([{ type: "serve" }]);
    for (let t = 0; t < 4; t++) {
      clock.advance(1_000);
      spare.heartbeat();
      runtime.worker(1).heartbeat();
    }
    // Worker 3, the new spare, has said nothing either: both miss their deadline.
    expect(runtime.killed).toEqual([[2, "SIGKILL"], [3, "SIGKILL"]]);
    expect(logged("did not boot")).toEqual([
      "[ERROR] Worker (pid:2001) did not boot within 4s (starting to listen); killing it",
      "[ERROR] Worker (pid:2002) did not boot within 4s (its runtime never started); killing it",
    ]);
  });

  it("is off with the timeout", async () => {
    const { clock, runtime, sup } = start({ workers: 1, timeout: 0 });
    await sup.start();
    runtime.worker(1).heartbeat();
    clock.advance(3_600_000);
    expect(runtime.killed).toEqual([]);
  });
});

describe("reload guard", () => {
  it("refuses a second HUP while onReload still runs, and goes back to the config from before both", async () => {
    let finishHook!: () => void;
    const hookDone = new Promise<void>((resolve) => (finishHook = resolve));
    const original: Config = { ...DEFAULTS, app: "/v1.ts", workers: 2 };
    const next: Config = { ...DEFAULTS, app: "/v2.ts", workers: 2, hooks: { onReload: () => hookDone } };
    let reads = 0;
    const { runtime, sup, logged } = start(original, {
      reloadConfig: () => {
        reads++;
        return Promise.resolve(next);
      },
    });
    await sup.start();
    runtime.readyAll();
    runtime.signal("SIGHUP");
    await settle();
    runtime.signal("SIGHUP");
    runtime.signal("SIGHUP");
    await settle();
    expect(reads).toBe(1);
    expect(logged("already in progress")).toEqual([
      "[WARNING] A reload is already in progress (running onReload); send HUP again once it has finished",
      "[WARNING] A reload is already in progress (running onReload); send HUP again once it has finished",
    ]);
    expect(runtime.spawned).toHaveLength(2); // nothing boots before the hook has finished
    finishHook();
    await settle();
    expect(runtime.spawned.slice(2).map((w) => w.spec.app)).toEqual(["/v2.ts", "/v2.ts"]);
    // The new generation cannot load the app: the reload is called off, back to v1.
    runtime.worker(3).message({ type: "boot-error", kind: "app-load", message: "boom" }).exit({ code: 4 });
    expect(logged("Reload abandoned")).toHaveLength(1);
    runtime.worker(1).exit({ signal: "SIGKILL" });
    expect(runtime.spawned.at(-1)!.spec.app).toBe("/v1.ts");
  });

  it("refuses a HUP while the workers are being replaced, then accepts one once the reload is complete", async () => {
    const { runtime, sup, logged } = start({ workers: 1 });
    await sup.start();
    runtime.readyAll();
    runtime.signal("SIGHUP");
    runtime.signal("SIGHUP");
    expect(logged("already in progress")).toEqual([
      "[WARNING] A reload is already in progress (replacing the workers); send HUP again once it has finished",
    ]);
    expect(runtime.spawned).toHaveLength(2);
    runtime.worker(2).ready();
    runtime.worker(1).exit({ code: 0 });
    expect(logged("Reload complete")).toHaveLength(1);
    runtime.signal("SIGHUP");
    expect(runtime.spawned).toHaveLength(3);
  });

  it("abandons a reload whose new workers keep failing to boot, so a later HUP is accepted", async () => {
    const { clock, runtime, sup, logged } = start({ workers: 1, timeout: 0 });
    await sup.start();
    runtime.readyAll();
    runtime.signal("SIGHUP");
    for (let attempt = 0; attempt < MAX_BOOT_ATTEMPTS; attempt++) {
      runtime.spawned.at(-1)!.exit({ code: 1 });
      clock.advance(20_000);
    }
    expect(logged("Reload abandoned")).toEqual([
      `[ERROR] Reload abandoned: new workers failed to boot ${MAX_BOOT_ATTEMPTS} times in a row; 1 worker(s) keep serving`,
    ]);
    expect(sup.workers().map((w) => [w.id, w.state, w.retiring])).toEqual([[1, "ready", false]]);
    const spawned = runtime.spawned.length;
    runtime.signal("SIGHUP");
    expect(runtime.spawned).toHaveLength(spawned + 1);
  });
});

describe("signals the master does not act on", () => {
  it("listens for USR2, WINCH and PIPE; without a way to upgrade, logs USR2 and keeps running", async () => {
    const { runtime, sup, logged } = start({ workers: 1 });
    await sup.start();
    runtime.readyAll();
    for (const signal of ["SIGUSR2", "SIGPIPE"] as const) {
      expect(runtime.listeners(signal)).toBe(1);
      runtime.signal(signal);
    }
    expect(runtime.listeners("SIGWINCH")).toBe(1);
    expect(logged("Ignoring")).toEqual([
      "[WARNING] Ignoring SIGUSR2: this master has no way to start a new one; send HUP to reload",
    ]);
    expect(logged("pipe")).toEqual([]);
    expect(runtime.killed).toEqual([]);
    expect(sup.workers().map((w) => w.state)).toEqual(["ready"]);
  });
});

describe("bounds", () => {
  it("never scales past MAX_WORKERS on TTIN or scale()", async () => {
    const { runtime, sup, logged } = start({ workers: MAX_WORKERS, timeout: 0 });
    await sup.start();
    runtime.signal("SIGTTIN");
    sup.scale(MAX_WORKERS + 1);
    expect(sup.desiredWorkers).toBe(MAX_WORKERS);
    expect(logged("never scaled above")).toEqual([
      `[INFO] Number of workers stays at ${MAX_WORKERS}: a pool is never scaled above ${MAX_WORKERS} workers`,
      `[INFO] Number of workers stays at ${MAX_WORKERS}: a pool is never scaled above ${MAX_WORKERS} workers`,
    ]);
  });

  it("spawns a large pool a batch per turn, and answers a signal between batches", async () => {
    const { clock, runtime, sup } = start({ workers: 3 * SPAWN_BATCH, timeout: 0 });
    await sup.start();
    expect(runtime.spawned).toHaveLength(SPAWN_BATCH);
    // The rest wait for the next turn: a signal that arrives first is handled first.
    runtime.signal("SIGINT");
    clock.advance(0);
    expect(runtime.spawned).toHaveLength(SPAWN_BATCH);
    expect(sup.workers().map((w) => w.state)).toEqual(Array(SPAWN_BATCH).fill("stopping"));
  });

  it("spawns the rest of a large pool on the following turns", async () => {
    const { clock, runtime, sup } = start({ workers: 3 * SPAWN_BATCH, timeout: 0 });
    await sup.start();
    clock.advance(0);
    expect(runtime.spawned).toHaveLength(3 * SPAWN_BATCH);
  });
});

describe("dismissing a worker that may already listen", () => {
  it("drains, not stops, a worker that said it is starting to listen, when the pool shrinks", async () => {
    const { runtime, sup } = start({ workers: 2, timeout: 0 });
    await sup.start();
    runtime.worker(2).ready();
    // Worker 1, the oldest and so the one to go, listens, but its `ready` has not reached the master yet.
    runtime.worker(1).heartbeat().message({ type: "booted" }).message({ type: "booting", step: "listen" });
    sup.scale(1);
    expect(runtime.worker(1).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }]);
  });

  it("still stops a worker that is loading its app", async () => {
    const { runtime, sup } = start({ workers: 2, timeout: 0 });
    await sup.start();
    runtime.worker(2).ready();
    runtime.worker(1).heartbeat().message({ type: "booting", step: "import" });
    sup.scale(1);
    expect(runtime.worker(1).sent).toEqual([{ type: "stop" }]);
  });

  it("drains the new generation's listening workers when a reload is abandoned", async () => {
    const { runtime, sup } = start({ workers: 2, timeout: 0 });
    await sup.start();
    runtime.readyAll();
    runtime.signal("SIGHUP");
    runtime.worker(4).heartbeat().message({ type: "booted" }).message({ type: "booting", step: "listen" });
    runtime.worker(3).message({ type: "boot-error", kind: "app-load", message: "boom" }).exit({ code: 4 });
    expect(runtime.worker(4).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }]);
  });
});

