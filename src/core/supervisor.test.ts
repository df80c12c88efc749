import { describe, expect, it, vi } from "vitest";
import { FakeClock } from "../../test/support/fake-clock.ts";
import { FakeRuntime } from "../../test/support/fake-runtime.ts";
import { type Config, DEFAULTS } from "./config.ts";
import type { Hooks, ServerInfo, WorkerExit, WorkerRef } from "./hooks.ts";
import { createLogger } from "./logger.ts";
import type { FromWorker } from "./protocol.ts";
import { RESTART_BACKOFF_CAP_MS, RESTART_STREAK_WINDOW_MS } from "./restart-backoff.ts";
import {
  createSupervisor,
  HANDLED_SIGNALS,
  MAX_BOOT_ATTEMPTS,
  MAX_HEARTBEAT_INTERVAL_MS,
  QUICK_STOP_TIMEOUT_MS,
  type Supervisor,
  type SupervisorOptions,
} from "./supervisor.ts";

/** A config for tests: the defaults, two workers, then `overrides`. */
function config(overrides: Partial<Config> = {}): Config {
  return { ...DEFAULTS, app: "/app.ts", workers: 2, ...overrides };
}

interface Harness {
  clock: FakeClock;
  runtime: FakeRuntime;
  sup: Supervisor;
  /** Every log line as written. */
  lines: string[];
  /** Log lines without the timestamp and pid: `[INFO] Booting worker with pid: 2000`. */
  messages(): string[];
  /** Log lines that contain `text`. */
  logged(text: string): string[];
}

function harness(
  overrides: Partial<Config> = {},
  random: () => number = () => 0,
  options: Pick<SupervisorOptions, "reloadConfig" | "reopenLogs" | "configFile"> = {},
): Harness {
  const clock = new FakeClock();
  const runtime = new FakeRuntime(clock);
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", pid: 1000, write: (l) => lines.push(l), clock });
  const sup = createSupervisor({ runtime, config: config(overrides), logger, random, ...options });
  const messages = () => lines.map((l) => l.replace(/^\[[^\]]+\] \[1000\] /, ""));
  return { clock, runtime, sup, lines, messages, logged: (text) => messages().filter((m) => m.includes(text)) };
}

/** True once `promise` has settled; lets pending reactions run first. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => (settled = true), () => (settled = true));
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return settled;
}

/** The exit code `done` resolved with, or "pending". */
async function outcome(sup: Supervisor): Promise<number | "pending"> {
  return (await isSettled(sup.done)) ? await sup.done : "pending";
}

/** Ids of the workers the master counts as ready. */
function readyIds(sup: Supervisor): number[] {
  return sup.workers().filter((w) => w.state === "ready").map((w) => w.id);
}

/** Every live worker says its first word, as a real one does as soon as it starts. */
function greetAll(runtime: FakeRuntime): void {
  for (const worker of runtime.alive()) worker.heartbeat();
}

/** A promise and the functions that settle it. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ([resolve, reject] = [res, rej]));
  return { promise, resolve, reject };
}

/** Lets pending promise reactions run (a reloaded config, a hook's promise). */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Id, state, retiring and generation of every worker, oldest first. */
function pool(sup: Supervisor): [number, string, boolean, number][] {
  return sup.workers().map((w) => [w.id, w.state, w.retiring, w.generation]);
}

const appLoadError = (message: string): FromWorker => ({
  type: "boot-error",
  kind: "app-load",
  message,
  stack: `${message}\n    at /app.ts:1:7`,
});

describe("Supervisor", () => {
  describe("start", () => {
    it("spawns `workers` workers and logs each boot", async () => {
      const { runtime, sup, messages } = harness({ workers: 3 });
      await sup.start();
      expect(runtime.spawned.map((w) => w.spec.id)).toEqual([1, 2, 3]);
      expect(messages()).toEqual([
        "[INFO] Listening at: http://127.0.0.1:8000 (1000)",
        "[INFO] Using runtime: node 0.0.0-fake",
        "[INFO] Booting worker with pid: 2000",
        "[INFO] Booting worker with pid: 2001",
        "[INFO] Booting worker with pid: 2002",
      ]);
      expect(sup.workers().map((w) => [w.id, w.pid, w.state])).toEqual([
        [1, 2000, "booting"],
        [2, 2001, "booting"],
        [3, 2002, "booting"],
      ]);
      expect(await outcome(sup)).toBe("pending");
    });

    it("hands each worker the app, addresses and timings from the config", async () => {
      const bind = [{ host: "0.0.0.0", port: 9000 }];
      const { runtime, sup } = harness({ workers: 1, bind, backlog: 64, keepalive: 2, logLevel: "warning" });
      await sup.start();
      expect(runtime.worker(1).spec).toMatchObject({
        id: 1,
        app: "/app.ts",
        bind,
        backlog: 64,
        keepaliveMs: 2_000,
        heartbeatMs: MAX_HEARTBEAT_INTERVAL_MS,
        maxRequests: 0,
        logLevel: "warning",
      });
    });

    it("asks for two heartbeats per timeout period when the timeout is short", async () => {
      const { runtime, sup } = harness({ workers: 1, timeout: 1 });
      await sup.start();
      expect(runtime.worker(1).spec.heartbeatMs).toBe(500);
    });

    it("listens for every handled signal", async () => {
      const { runtime, sup } = harness();
      await sup.start();
      expect(HANDLED_SIGNALS.map((s) => [s, runtime.listeners(s)])).toEqual(HANDLED_SIGNALS.map((s) => [s, 1]));
    });

    it("logs Ready exactly once, when every worker is ready", async () => {
      const bind = [{ host: "0.0.0.0", port: 8080 }, { host: "::1", port: 8081 }];
      const { runtime, sup, logged } = harness({ workers: 2, bind });
      await sup.start();
      runtime.worker(1).ready();
      expect(logged("Ready:")).toEqual([]);
      runtime.worker(2).ready();
      expect(logged("Ready:")).toEqual(["[INFO] Ready: 2 workers serving http://0.0.0.0:8080, http://[::1]:8081"]);

      // A replacement becoming ready, or a worker added later, is not a new start.
      runtime.worker(1).exit({ code: 1 });
      runtime.worker(3).ready();
      runtime.signal("SIGTTIN");
      runtime.worker(4).ready();
      expect(logged("Ready:")).toHaveLength(1);
    });

    it("says worker, not workers, for a pool of one", async () => {
      const { runtime, sup, logged } = harness({ workers: 1 });
      await sup.start();
      runtime.readyAll();
      expect(logged("Ready:")).toEqual(["[INFO] Ready: 1 worker serving http://127.0.0.1:8000"]);
    });

    it("refuses to start when an address is in use: one error line, no worker, exit 1", async () => {
      const bind = [{ host: "127.0.0.1", port: 8000 }, { host: "127.0.0.1", port: 8001 }];
      const { runtime, sup, messages } = harness({ bind });
      runtime.busyAddresses.push({ host: "127.0.0.1", port: 8001 });
      await sup.start();
      expect(messages()).toEqual(["[ERROR] Cannot listen on 127.0.0.1:8001: address already in use"]);
      expect(runtime.spawned).toEqual([]);
      expect(await outcome(sup)).toBe(1);
      expect(HANDLED_SIGNALS.map((s) => runtime.listeners(s))).toEqual(HANDLED_SIGNALS.map(() => 0));
    });

    it("cannot be started twice", async () => {
      const { sup } = harness();
      await sup.start();
      await expect(sup.start()).rejects.toThrow("already started");
    });
  });

  describe("when the app fails to load", () => {
    it("stops the other workers, logs the error once and exits 4", async () => {
      const { runtime, sup, logged, messages } = harness({ workers: 3 });
      await sup.start();
      greetAll(runtime);
      runtime.worker(2).ready();
      runtime.worker(1).message(appLoadError("SyntaxError: Unexpected token '}'"));
      runtime.worker(1).exit({ code: 4 });

      expect(runtime.worker(1).sent).toEqual([]);
      expect(runtime.worker(2).sent).toEqual([{ type: "stop" }]);
      expect(runtime.worker(3).sent).toEqual([{ type: "stop" }]);

      // The second worker hits the same error on its way down.
      runtime.worker(3).message(appLoadError("SyntaxError: Unexpected token '}'"));
      runtime.worker(3).exit({ code: 4 });
      expect(await outcome(sup)).toBe("pending");
      runtime.worker(2).exit({ code: 0 });

      expect(await outcome(sup)).toBe(4);
      expect(logged("Unexpected token")).toEqual([
        "[ERROR] App failed to load: SyntaxError: Unexpected token '}'\n    at /app.ts:1:7",
      ]);
      expect(messages().filter((m) => m.startsWith("[ERROR]"))).toEqual([
        "[ERROR] App failed to load: SyntaxError: Unexpected token '}'\n    at /app.ts:1:7",
        "[ERROR] Reason: App failed to load.",
      ]);
      expect(logged("while shutting down")).toEqual([]);
      expect(runtime.spawned).toHaveLength(3);
    });

    it("treats exit code 4 without a message as an app-load failure", async () => {
      const { runtime, sup, messages } = harness({ workers: 2 });
      await sup.start();
      greetAll(runtime);
      runtime.worker(1).exit({ code: 4 });
      expect(runtime.worker(2).sent).toEqual([{ type: "stop" }]);
      runtime.worker(2).exit({ code: 4 });
      expect(await outcome(sup)).toBe(4);
      expect(messages().filter((m) => m.startsWith("[ERROR]"))).toEqual([
        "[ERROR] Worker (pid:2000) could not load the app",
        "[ERROR] Reason: App failed to load.",
      ]);
      expect(runtime.spawned).toHaveLength(2);
    });

    it("kills a worker that ignores the stop after QUICK_STOP_TIMEOUT_MS", async () => {
      const { clock, runtime, sup } = harness({ workers: 2, timeout: 0 });
      await sup.start();
      runtime.worker(1).exit({ code: 4 });
      clock.advance(QUICK_STOP_TIMEOUT_MS - 1);
      expect(runtime.killed).toEqual([]);
      clock.advance(1);
      expect(runtime.killed).toEqual([[2, "SIGKILL"]]);
      runtime.worker(2).exit({ signal: "SIGKILL" });
      expect(await outcome(sup)).toBe(4);
    });

    it("exits 1 when a worker cannot bind", async () => {
      const { runtime, sup, messages } = harness({ workers: 2 });
      await sup.start();
      greetAll(runtime);
      runtime.worker(1).message({
        type: "boot-error",
        kind: "bind",
        message: "Cannot listen on 127.0.0.1:8000: permission denied",
      });
      runtime.worker(1).exit({ code: 3 });
      expect(runtime.worker(2).sent).toEqual([{ type: "stop" }]);
      runtime.worker(2).exit({ code: 0 });
      expect(await outcome(sup)).toBe(1);
      expect(messages().filter((m) => m.startsWith("[ERROR]"))).toEqual([
        "[ERROR] Cannot listen on 127.0.0.1:8000: permission denied",
        "[ERROR] Reason: Cannot listen.",
      ]);
      expect(runtime.spawned).toHaveLength(2);
    });
  });

  describe("when a worker fails to boot for another reason", () => {
    it("respawns it with backoff and exits 3 after MAX_BOOT_ATTEMPTS failures in a row", async () => {
      const { clock, runtime, sup, logged } = harness({ workers: 1 });
      await sup.start();
      const delays = [0, 250, 500, 1_000];
      expect(delays).toHaveLength(MAX_BOOT_ATTEMPTS - 1);
      for (const [i, delay] of delays.entries()) {
        const failure = i + 1;
        runtime.worker(failure).exit({ code: 1 });
        if (delay > 0) {
          expect(logged("in a row")).toHaveLength(failure - 1);
          expect(logged("in a row").at(-1)).toBe(
            `[WARNING] ${failure} boot failures in a row; waiting ${(delay / 1000).toFixed(2)}s before starting a worker`,
          );
          clock.advance(delay - 1);
          expect(runtime.spawned).toHaveLength(failure);
          clock.advance(1);
        }
        expect(runtime.spawned).toHaveLength(failure + 1);
      }
      expect(await outcome(sup)).toBe("pending");

      runtime.worker(MAX_BOOT_ATTEMPTS).exit({ code: 1 });
      clock.advance(RESTART_BACKOFF_CAP_MS * 2);
      expect(runtime.spawned).toHaveLength(MAX_BOOT_ATTEMPTS);
      expect(await outcome(sup)).toBe(3);
      expect(logged("failed to boot")).toEqual([
        "[ERROR] Worker (pid:2000) failed to boot: it exited with code 1",
        "[ERROR] Worker (pid:2001) failed to boot: it exited with code 1",
        "[ERROR] Worker (pid:2002) failed to boot: it exited with code 1",
        "[ERROR] Worker (pid:2003) failed to boot: it exited with code 1",
        "[ERROR] Worker (pid:2004) failed to boot: it exited with code 1",
        "[ERROR] Reason: Worker failed to boot.",
      ]);
      expect(clock.pending).toBe(0);
    });

    it("gives up with exit 3, never looping, when every worker keeps failing", async () => {
      const { clock, runtime, sup } = harness({ workers: 3 });
      await sup.start();
      for (let round = 0; round < 20 && (await outcome(sup)) === "pending"; round++) {
        for (const worker of runtime.alive()) worker.exit({ code: 1 });
        clock.advance(RESTART_BACKOFF_CAP_MS);
      }
      expect(await outcome(sup)).toBe(3);
      expect(runtime.alive()).toEqual([]);
      // Each failure spawned at most one replacement, and the master stopped at the limit.
      expect(runtime.spawned.length).toBeLessThan(3 + MAX_BOOT_ATTEMPTS);
    });

    it("counts only failures in a row: a ready worker resets the count", async () => {
      const { clock, runtime, sup } = harness({ workers: 1, timeout: 0 });
      await sup.start();
      const failNext = () => {
        runtime.alive()[0]!.exit({ code: 1 });
        clock.advance(RESTART_BACKOFF_CAP_MS);
      };
      for (let i = 0; i < MAX_BOOT_ATTEMPTS - 1; i++) failNext();
      runtime.alive()[0]!.ready();
      runtime.alive()[0]!.exit({ code: 1 }); // a crash after ready, not a boot failure
      clock.advance(RESTART_BACKOFF_CAP_MS);
      for (let i = 0; i < MAX_BOOT_ATTEMPTS - 1; i++) failNext();
      expect(await outcome(sup)).toBe("pending");
      expect(runtime.alive()).toHaveLength(1);
      failNext();
      expect(await outcome(sup)).toBe(3);
    });

    it("retries a spawn the runtime refused", async () => {
      const { clock, runtime, sup, logged } = harness({ workers: 1 });
      runtime.spawnError = new Error("spawn EAGAIN");
      await sup.start();
      expect(logged("Cannot start a worker")).toEqual(["[ERROR] Cannot start a worker: spawn EAGAIN"]);
      expect(runtime.spawned).toHaveLength(0);
      clock.advance(RESTART_BACKOFF_CAP_MS);
      expect(runtime.spawned).toHaveLength(1);
    });

    it("retries the replacement of a crashed worker when its spawn is refused", async () => {
      const { clock, runtime, sup } = harness({ workers: 1, timeout: 0 });
      await sup.start();
      runtime.readyAll();
      runtime.spawnError = new Error("spawn EAGAIN");
      runtime.worker(1).exit({ code: 1 });
      expect(runtime.spawned).toHaveLength(1);
      clock.advance(RESTART_BACKOFF_CAP_MS);
      expect(runtime.spawned).toHaveLength(2);
    });
  });

  describe("when a ready worker crashes", () => {
    it("respawns it at once the first time", async () => {
      const { runtime, sup, logged } = harness({ workers: 2 });
      await sup.start();
      runtime.readyAll();
      runtime.worker(1).exit({ code: 1 });
      expect(runtime.spawned).toHaveLength(3);
      expect(runtime.worker(3).spec.id).toBe(3);
      expect(logged("[ERROR]")).toEqual(["[ERROR] Worker (pid:2000) exited with code 1"]);
      expect(logged("in a row")).toEqual([]);
      expect(sup.workers().map((w) => [w.id, w.state])).toEqual([
        [2, "ready"],
        [3, "booting"],
      ]);
    });

    it("says perhaps out of memory when the worker was SIGKILLed", async () => {
      const { runtime, sup, logged } = harness({ workers: 1 });
      await sup.start();
      runtime.readyAll();
      runtime.worker(1).exit({ signal: "SIGKILL" });
      expect(logged("[ERROR]")).toEqual(["[ERROR] Worker (pid:2000) was sent SIGKILL! Perhaps out of memory?"]);
      expect(runtime.spawned).toHaveLength(2);
    });

    it("names the signal that killed it", async () => {
      const { runtime, sup, logged } = harness({ workers: 1 });
      await sup.start();
      runtime.readyAll();
      runtime.worker(1).exit({ signal: "SIGSEGV" });
      expect(logged("[ERROR]")).toEqual(["[ERROR] Worker (pid:2000) was killed by SIGSEGV"]);
    });

    it("backs off exponentially when crashes repeat, up to 15 s, and says so", async () => {
      const { clock, runtime, sup, logged } = harness({ workers: 1, timeout: 0 });
      await sup.start();
      runtime.readyAll();
      const delays = [0, 250, 500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000];
      expect(Math.max(...delays)).toBe(RESTART_BACKOFF_CAP_MS);
      for (const [i, delay] of delays.entries()) {
        const id = i + 1;
        runtime.worker(id).exit({ code: 1 });
        if (delay > 0) {
          expect(logged("in a row").at(-1)).toBe(
            `[WARNING] ${id} crashes in a row; waiting ${(delay / 1000).toFixed(2)}s before starting a worker`,
          );
          clock.advance(delay - 1);
          expect(runtime.spawned).toHaveLength(id);
          clock.advance(1);
        }
        expect(runtime.spawned).toHaveLength(id + 1);
        runtime.worker(id + 1).ready();
      }
      expect(logged("in a row")).toHaveLength(delays.length - 1);
    });

    it("starts a new streak when the last crash is older than the streak window", async () => {
      const { clock, runtime, sup } = harness({ workers: 1, timeout: 0 });
      await sup.start();
      runtime.readyAll();
      runtime.worker(1).exit({ code: 1 });
      runtime.worker(2).ready();
      runtime.worker(2).exit({ code: 1 });
      clock.advance(250);
      runtime.worker(3).ready();
      clock.advance(RESTART_STREAK_WINDOW_MS);
      runtime.worker(3).exit({ code: 1 });
      expect(runtime.spawned).toHaveLength(4);
    });

    it("keeps the other workers serving while a replacement waits", async () => {
      const { clock, runtime, sup } = harness({ workers: 2, timeout: 0 });
      await sup.start();
      runtime.readyAll();
      runtime.worker(1).exit({ code: 1 });
      runtime.worker(3).ready();
      runtime.worker(3).exit({ code: 1 });
      expect(readyIds(sup)).toEqual([2]);
      expect(runtime.worker(2).sent).toEqual([]);
      clock.advance(250);
      expect(runtime.spawned).toHaveLength(4);
      expect(runtime.spawned.slice(3).map((w) => w.spec.id)).toEqual([4]);
    });
  });

  describe("heartbeat timeout", () => {
    it("logs WORKER TIMEOUT and SIGKILLs a worker silent for `timeout` seconds, then replaces it", async () => {
      const { clock, runtime, sup, logged } = harness({ workers: 2, timeout: 30 });
      await sup.start();
      runtime.readyAll();
      clock.advance(10_000);
      runtime.worker(2).heartbeat(5, 1);

      clock.advance(19_999);
      expect(runtime.killed).toEqual([]);
      expect(logged("WORKER TIMEOUT")).toEqual([]);
      clock.advance(1);
      expect(logged("WORKER TIMEOUT")).toEqual(["[CRITICAL] WORKER TIMEOUT (pid:2000)"]);
      expect(runtime.killed).toEqual([[1, "SIGKILL"]]);
      expect(runtime.spawned).toHaveLength(2);

      runtime.worker(1).exit({ signal: "SIGKILL" });
      expect(runtime.spawned).toHaveLength(3);
      expect(logged("out of memory")).toEqual([]);
      expect(logged("[ERROR]")).toEqual([]);
    });

    it("pushes the deadline back with every heartbeat", async () => {
      const { clock, runtime, sup } = harness({ workers: 1, timeout: 5 });
      await sup.start();
      runtime.readyAll();
      for (let i = 0; i < 10; i++) {
        clock.advance(4_999);
        runtime.worker(1).heartbeat(i);
      }
      expect(runtime.killed).toEqual([]);
      expect(sup.workers()[0]!.served).toBe(9);
      clock.advance(4_999);
      expect(runtime.killed).toEqual([]);
      clock.advance(1);
      expect(runtime.killed).toEqual([[1, "SIGKILL"]]);
    });

    it("also times out a worker whose event loop blocks while booting, at its boot deadline", async () => {
      const { clock, runtime, sup, logged } = harness({ workers: 1, timeout: 30 });
      await sup.start();
      runtime.worker(1).heartbeat().message({ type: "booting", step: "import" });
      clock.advance(29_999);
      expect(runtime.killed).toEqual([]);
      clock.advance(1);
      expect(runtime.killed).toEqual([[1, "SIGKILL"]]);
      expect(logged("did not boot")).toEqual(["[ERROR] Worker (pid:2000) did not boot within 30s (importing the app); killing it"]);
      runtime.worker(1).exit({ signal: "SIGKILL" });
      expect(runtime.spawned).toHaveLength(2);
    });

    it("is off when timeout is 0", async () => {
      const { clock, runtime, sup, logged } = harness({ workers: 2, timeout: 0 });
      await sup.start();
      clock.advance(3_600_000);
      runtime.readyAll();
      clock.advance(3_600_000);
      expect(runtime.killed).toEqual([]);
      expect(logged("WORKER TIMEOUT")).toEqual([]);
      expect(clock.pending).toBe(0);
    });
  });

  describe("max requests", () => {
    it("gives each worker maxRequests plus floor(random * (jitter + 1))", async () => {
      const draws = [0, 0.5, 0.999, 0.25];
      let calls = 0;
      const random = () => draws[calls++ % draws.length]!;
      const { runtime, sup } = harness({ workers: 3, maxRequests: 1000, maxRequestsJitter: 10 }, random);
      await sup.start();
      // One draw per worker spawned, in spawn order (however many the master spawns for recycling).
      expect(runtime.spawned.length).toBeGreaterThanOrEqual(3);
      expect(calls).toBe(runtime.spawned.length);
      expect(runtime.spawned.map((w) => w.spec.maxRequests)).toEqual(
        [1000, 1005, 1010, 1002].slice(0, runtime.spawned.length),
      );
    });

    it("draws nothing and sends 0 when maxRequests is 0", async () => {
      let calls = 0;
      const { runtime, sup } = harness({ workers: 2, maxRequests: 0, maxRequestsJitter: 10 }, () => (calls++, 0.9));
      await sup.start();
      expect(runtime.spawned.map((w) => w.spec.maxRequests)).toEqual([0, 0]);
      expect(calls).toBe(0);
    });

    it("spawns the replacement first and drains the retiring worker only once it is ready", async () => {
      const { runtime, sup, logged } = harness({ workers: 2, maxRequests: 100 });
      await sup.start();
      runtime.readyAll();
      expect(readyIds(sup)).toEqual([1, 2]);

      runtime.worker(1).message({ type: "retire", served: 100 });
      expect(logged("replacing it")).toEqual(["[INFO] Worker (pid:2000) served 100 requests; replacing it"]);
      const replacement = runtime.worker(3);
      expect(sup.workers().find((w) => w.id === 3)?.state).toBe("booting");
      expect(runtime.worker(1).sent).toEqual([]);
      expect(readyIds(sup)).toEqual([1, 2]);

      // Asking twice does not start a second replacement.
      const spawned = runtime.spawned.length;
      runtime.worker(1).message({ type: "retire", served: 101 });
      expect(runtime.spawned).toHaveLength(spawned);

      replacement.message({ type: "booted" });
      expect(runtime.worker(1).sent).toEqual([]);
      replacement.message({ type: "ready" });
      expect(runtime.worker(1).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }]);
      expect(runtime.worker(2).sent).toEqual([]);
      expect(readyIds(sup)).toEqual([2, 3]);

      runtime.worker(1).exit({ code: 0 });
      expect(runtime.spawned).toHaveLength(spawned);
      expect(readyIds(sup)).toEqual([2, 3]);
      expect(logged("[ERROR]")).toEqual([]);
    });

    it("SIGKILLs a retired worker that is still draining at gracefulTimeout", async () => {
      const { clock, runtime, sup, logged } = harness({ workers: 1, maxRequests: 100, gracefulTimeout: 10 });
      await sup.start();
      runtime.readyAll();
      runtime.worker(1).message({ type: "retire", served: 100 });
      clock.advance(1_000);
      runtime.worker(2).ready();
      expect(runtime.worker(1).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }]);

      clock.advance(9_999);
      expect(runtime.killed).toEqual([]);
      clock.advance(1);
      expect(runtime.killed).toEqual([[1, "SIGKILL"]]);
      expect(logged("did not exit in time")).toEqual([
        "[WARNING] Worker (pid:2000) did not exit in time; sending SIGKILL",
      ]);

      const spawned = runtime.spawned.length;
      runtime.worker(1).exit({ signal: "SIGKILL" });
      expect(runtime.spawned).toHaveLength(spawned);
      expect(logged("[ERROR]")).toEqual([]);
      expect(readyIds(sup)).toEqual([2]);
    });

    it("ignores a retire request from a worker that is not serving", async () => {
      const { runtime, sup, logged } = harness({ workers: 1, maxRequests: 100 });
      await sup.start();
      const spawned = runtime.spawned.length;
      runtime.worker(1).message({ type: "retire", served: 100 });
      expect(runtime.spawned).toHaveLength(spawned);
      expect(logged("replacing it")).toEqual([]);
    });
  });

  describe("ping", () => {
    it("answers a ping with a pong carrying its sequence number, even while the worker drains", async () => {
      const { runtime, sup } = harness({ workers: 1 });
      await sup.start();
      runtime.readyAll();
      runtime.worker(1).message({ type: "ping", seq: 7 });
      expect(runtime.worker(1).sent).toEqual([{ type: "pong", seq: 7 }]);
      runtime.signal("SIGTERM");
      runtime.worker(1).message({ type: "ping", seq: 8 });
      expect(runtime.worker(1).sent).toEqual([{ type: "pong", seq: 7 }, { type: "drain", graceMs: expect.any(Number) }, { type: "pong", seq: 8 }]);
    });
  });

  describe("spare workers while recycling", () => {
    it("boots one spare beside the pool when maxRequests is on, and none when it is off", async () => {
      const recycling = harness({ workers: 2, maxRequests: 100 });
      await recycling.sup.start();
      expect(recycling.runtime.spawned.map((w) => w.spec.mode === "standby")).toEqual([false, false, true]);
      expect(recycling.logged("Booting spare worker")).toEqual(["[INFO] Booting spare worker with pid: 2002"]);

      const plain = harness({ workers: 2, maxRequests: 0 });
      await plain.sup.start();
      expect(plain.runtime.spawned.map((w) => w.spec.mode === "standby")).toEqual([false, false]);
    });

    it("counts the spare neither as serving nor toward Ready", async () => {
      const { runtime, sup, logged } = harness({ workers: 2, maxRequests: 100 });
      await sup.start();
      runtime.worker(3).ready(); // a spare that wrongly says ready is still a spare
      expect(readyIds(sup)).toEqual([]);
      runtime.worker(1).ready();
      runtime.worker(2).ready();
      expect(readyIds(sup)).toEqual([1, 2]);
      expect(logged("Ready:")).toEqual(["[INFO] Ready: 2 workers serving http://127.0.0.1:8000"]);
    });

    it("promotes the booted spare when a worker retires, then drains the retiree once the spare serves", async () => {
      const { runtime, sup, logged } = harness({ workers: 2, maxRequests: 100 });
      await sup.start();
      runtime.readyAll();
      runtime.worker(3).message({ type: "booted" });

      runtime.worker(1).message({ type: "retire", served: 100 });
      expect(runtime.worker(3).sent).toEqual([{ type: "serve" }]);
      expect(logged("Promoting spare")).toEqual(["[INFO] Promoting spare worker (pid:2002)"]);
      expect(runtime.spawned).toHaveLength(4);
      expect(runtime.worker(4).spec.mode).toBe("standby");
      expect(runtime.worker(1).sent).toEqual([]);

      runtime.worker(3).message({ type: "ready" });
      expect(runtime.worker(1).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }]);
      expect(readyIds(sup)).toEqual([2, 3]);
    });

    it("puts the spare to work at once when a serving worker crashes", async () => {
      const { runtime, sup } = harness({ workers: 2, maxRequests: 100 });
      await sup.start();
      runtime.readyAll();
      runtime.worker(2).exit({ code: 1 });
      expect(runtime.worker(3).sent).toEqual([{ type: "serve" }]);
      expect(runtime.spawned).toHaveLength(4);
      expect(runtime.worker(4).spec.mode).toBe("standby");
    });

    it("holds the serve message until a spare promoted while starting has spoken", async () => {
      const { runtime, sup } = harness({ workers: 1, maxRequests: 100 });
      await sup.start();
      runtime.worker(1).ready();
      runtime.worker(1).message({ type: "retire", served: 100 });
      expect(runtime.worker(2).sent).toEqual([]);
      runtime.worker(2).heartbeat();
      expect(runtime.worker(2).sent).toEqual([{ type: "serve" }]);
    });

    it("treats a spare that dies after booting as a crash, and one that dies before as a boot failure", async () => {
      const { runtime, sup, logged } = harness({ workers: 1, maxRequests: 100 });
      await sup.start();
      runtime.worker(1).ready();
      runtime.worker(2).message({ type: "booted" });
      runtime.worker(2).exit({ code: 1 });
      expect(logged("Worker (pid:2001) exited with code 1")).toHaveLength(1);
      expect(logged("failed to boot")).toEqual([]);
      expect(runtime.worker(3).spec.mode).toBe("standby");

      runtime.worker(3).exit({ code: 1 });
      expect(logged("Worker (pid:2002) failed to boot")).toHaveLength(1);
    });

    it("replaces the spare on SIGHUP, since it holds the old app, draining it so its teardown runs", async () => {
      const { runtime, sup } = harness({ workers: 1, maxRequests: 100 });
      await sup.start();
      runtime.readyAll();
      runtime.worker(2).message({ type: "booted" });
      runtime.signal("SIGHUP");
      expect(runtime.worker(2).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }]);
      const standby = runtime.spawned.slice(2).map((w) => w.spec.mode === "standby");
      expect(standby.sort()).toEqual([false, true]);
    });

    it("leaves the spare alone on SIGTTOU and drains it, set up, on SIGTERM", async () => {
      const { runtime, sup } = harness({ workers: 2, maxRequests: 100 });
      await sup.start();
      runtime.readyAll();
      runtime.signal("SIGTTOU");
      expect(runtime.worker(1).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }]);
      expect(runtime.worker(3).sent).toEqual([]);
      runtime.signal("SIGTERM");
      expect(runtime.worker(3).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }]);
      expect(runtime.worker(2).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }]);
    });

    it("stops a spare that has not finished booting on SIGTERM, since it has nothing to tear down", async () => {
      const { runtime, sup } = harness({ workers: 1, maxRequests: 100 });
      await sup.start();
      runtime.worker(1).ready();
      runtime.worker(2).heartbeat();
      runtime.signal("SIGTERM");
      expect(runtime.worker(2).sent).toEqual([{ type: "stop" }]);
    });
  });

  describe("SIGTERM", () => {
    it("drains every worker, respawns none, kills stragglers at gracefulTimeout and exits 0", async () => {
      const { clock, runtime, sup, logged } = harness({ workers: 3, gracefulTimeout: 30 });
      await sup.start();
      runtime.readyAll();
      runtime.signal("SIGTERM");
      expect(logged("Handling signal")).toEqual(["[INFO] Handling signal: term"]);
      expect(runtime.spawned.map((w) => w.sent)).toEqual([[{ type: "drain", graceMs: expect.any(Number) }], [{ type: "drain", graceMs: expect.any(Number) }], [{ type: "drain", graceMs: expect.any(Number) }]]);

      runtime.worker(1).exit({ code: 0 });
      runtime.worker(2).exit({ code: 1 });
      expect(runtime.spawned).toHaveLength(3);
      expect(await outcome(sup)).toBe("pending");

      clock.advance(29_999);
      expect(runtime.killed).toEqual([]);
      clock.advance(1);
      expect(runtime.killed).toEqual([[3, "SIGKILL"]]);
      expect(await outcome(sup)).toBe("pending");
      expect(HANDLED_SIGNALS.map((s) => runtime.listeners(s))).toEqual(HANDLED_SIGNALS.map(() => 1));

      runtime.worker(3).exit({ signal: "SIGKILL" });
      expect(await outcome(sup)).toBe(0);
      expect(HANDLED_SIGNALS.map((s) => runtime.listeners(s))).toEqual(HANDLED_SIGNALS.map(() => 0));
      expect(runtime.spawned).toHaveLength(3);
      expect(logged("Shutting down: Master")).toHaveLength(1);
      expect(clock.pending).toBe(0);
    });

    it("stops a worker that is still booting instead of draining it", async () => {
      const { runtime, sup } = harness({ workers: 2 });
      await sup.start();
      greetAll(runtime);
      runtime.worker(1).ready();
      runtime.signal("SIGTERM");
      expect(runtime.worker(1).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }]);
      expect(runtime.worker(2).sent).toEqual([{ type: "stop" }]);
      runtime.worker(2).message({ type: "ready" });
      expect(runtime.worker(2).sent).toEqual([{ type: "stop" }]);
      runtime.worker(1).exit({ code: 0 });
      runtime.worker(2).exit({ code: 0 });
      expect(await outcome(sup)).toBe(0);
    });

    it("cancels a respawn that was waiting out a backoff", async () => {
      const { clock, runtime, sup } = harness({ workers: 2, timeout: 0 });
      await sup.start();
      runtime.readyAll();
      runtime.worker(1).exit({ code: 1 });
      runtime.worker(3).ready();
      runtime.worker(3).exit({ code: 1 }); // second crash: waits 250 ms
      runtime.signal("SIGTERM");
      clock.advance(RESTART_BACKOFF_CAP_MS);
      expect(runtime.spawned).toHaveLength(3);
      runtime.worker(2).exit({ code: 0 });
      expect(await outcome(sup)).toBe(0);
    });

    it("turns into a quick stop on a second SIGTERM", async () => {
      const { clock, runtime, sup } = harness({ workers: 2, gracefulTimeout: 30 });
      await sup.start();
      runtime.readyAll();
      runtime.signal("SIGTERM");
      clock.advance(5_000);
      runtime.signal("SIGTERM");
      expect(runtime.worker(1).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }, { type: "stop" }]);
      expect(runtime.worker(2).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }, { type: "stop" }]);
      clock.advance(QUICK_STOP_TIMEOUT_MS - 1);
      expect(runtime.killed).toEqual([]);
      clock.advance(1);
      expect(runtime.killed).toEqual([[1, "SIGKILL"], [2, "SIGKILL"]]);
      runtime.worker(1).exit({ signal: "SIGKILL" });
      runtime.worker(2).exit({ signal: "SIGKILL" });
      expect(await outcome(sup)).toBe(0);
      // The graceful deadline, replaced by the quick one, never fires.
      expect(clock.pending).toBe(0);
    });

  });

  describe("stop", () => {
    it("escalates to SIGKILL when a worker ignores the drain past gracefulTimeout", async () => {
      const clock = new FakeClock();
      const runtime = new FakeRuntime(clock);
      const logger = createLogger({ level: "debug", pid: 1000, write: () => {}, clock });
      const sup = createSupervisor({ runtime, config: config({ workers: 2, gracefulTimeout: 30 }), logger });
      await sup.start();
      runtime.readyAll();
      const stopping = sup.stop();
      runtime.worker(1).exit({ code: 0 });
      clock.advance(29_999);
      expect(runtime.killed).toEqual([]);
      clock.advance(1);
      expect(runtime.killed).toEqual([[2, "SIGKILL"]]);
      runtime.worker(2).exit({ signal: "SIGKILL" });
      expect(await stopping).toBe(0);
    });

    it("stops quickly when asked for a quick stop", async () => {
      const { clock, runtime, sup } = harness({ workers: 2, gracefulTimeout: 30 });
      await sup.start();
      runtime.readyAll();
      const stopping = sup.stop({ graceful: false });
      expect(runtime.worker(1).sent).toEqual([{ type: "stop" }]);
      expect(runtime.worker(2).sent).toEqual([{ type: "stop" }]);
      runtime.worker(1).exit({ code: 0 });
      clock.advance(QUICK_STOP_TIMEOUT_MS);
      expect(runtime.killed).toEqual([[2, "SIGKILL"]]);
      runtime.worker(2).exit({ signal: "SIGKILL" });
      expect(await stopping).toBe(0);
    });
  });

  describe.each(["SIGINT", "SIGQUIT"] as const)("%s", (signal) => {
    it("stops every worker at once and kills stragglers after QUICK_STOP_TIMEOUT_MS", async () => {
      const { clock, runtime, sup, logged } = harness({ workers: 2, gracefulTimeout: 30 });
      await sup.start();
      runtime.readyAll();
      runtime.signal(signal);
      expect(logged("Handling signal")).toEqual([`[INFO] Handling signal: ${signal.slice(3).toLowerCase()}`]);
      expect(runtime.worker(1).sent).toEqual([{ type: "stop" }]);
      expect(runtime.worker(2).sent).toEqual([{ type: "stop" }]);
      runtime.worker(1).exit({ code: 0 });
      clock.advance(QUICK_STOP_TIMEOUT_MS - 1);
      expect(runtime.killed).toEqual([]);
      clock.advance(1);
      expect(runtime.killed).toEqual([[2, "SIGKILL"]]);
      runtime.worker(2).exit({ signal: "SIGKILL" });
      expect(await outcome(sup)).toBe(0);
      expect(runtime.spawned).toHaveLength(2);
      expect(runtime.listeners(signal)).toBe(0);
    });

    it("kills after gracefulTimeout when that is shorter", async () => {
      const { clock, runtime, sup } = harness({ workers: 1, gracefulTimeout: 0.5 });
      await sup.start();
      runtime.readyAll();
      runtime.signal(signal);
      clock.advance(499);
      expect(runtime.killed).toEqual([]);
      clock.advance(1);
      expect(runtime.killed).toEqual([[1, "SIGKILL"]]);
    });
  });

  describe("SIGTTIN and SIGTTOU", () => {
    it("adds a worker on SIGTTIN", async () => {
      const { runtime, sup, logged } = harness({ workers: 2 });
      await sup.start();
      runtime.readyAll();
      runtime.signal("SIGTTIN");
      expect(sup.desiredWorkers).toBe(3);
      expect(runtime.spawned).toHaveLength(3);
      expect(logged("Number of workers")).toEqual(["[INFO] Number of workers: 3"]);
      expect(runtime.spawned.flatMap((w) => w.sent)).toEqual([]);
    });

    it("drains the oldest worker on SIGTTOU and never goes below one", async () => {
      const { runtime, sup, logged } = harness({ workers: 3 });
      await sup.start();
      runtime.readyAll();

      runtime.signal("SIGTTOU");
      expect(sup.desiredWorkers).toBe(2);
      expect(runtime.spawned.map((w) => w.sent)).toEqual([[{ type: "drain", graceMs: expect.any(Number) }], [], []]);
      runtime.worker(1).exit({ code: 0 });
      expect(runtime.spawned).toHaveLength(3);

      runtime.signal("SIGTTOU");
      expect(sup.desiredWorkers).toBe(1);
      expect(runtime.worker(2).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }]);
      runtime.worker(2).exit({ code: 0 });

      runtime.signal("SIGTTOU");
      expect(sup.desiredWorkers).toBe(1);
      expect(runtime.worker(3).sent).toEqual([]);
      expect(readyIds(sup)).toEqual([3]);
      expect(runtime.spawned).toHaveLength(3);
      expect(logged("Number of workers")).toEqual([
        "[INFO] Number of workers: 2",
        "[INFO] Number of workers: 1",
        "[INFO] Number of workers stays at 1: a pool is never scaled below one worker",
      ]);
    });
  });

  describe("SIGHUP", () => {
    it("replaces every worker, draining each old one only as a new one becomes ready", async () => {
      const { runtime, sup, logged } = harness({ workers: 2 });
      await sup.start();
      runtime.readyAll();

      runtime.signal("SIGHUP");
      expect(logged("Hang up")).toEqual(["[INFO] Hang up: Master"]);
      expect(runtime.spawned).toHaveLength(4);
      expect(runtime.worker(1).sent).toEqual([]);
      expect(runtime.worker(2).sent).toEqual([]);
      expect(readyIds(sup)).toEqual([1, 2]);

      runtime.worker(3).ready();
      expect(runtime.worker(1).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }]);
      expect(runtime.worker(2).sent).toEqual([]);
      expect(readyIds(sup)).toEqual([2, 3]);

      runtime.worker(1).exit({ code: 0 });
      expect(runtime.spawned).toHaveLength(4);

      runtime.worker(4).ready();
      expect(runtime.worker(2).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }]);
      expect(readyIds(sup)).toEqual([3, 4]);
      runtime.worker(2).exit({ code: 0 });

      expect(runtime.spawned).toHaveLength(4);
      expect(sup.workers().map((w) => [w.id, w.state, w.retiring])).toEqual([
        [3, "ready", false],
        [4, "ready", false],
      ]);
      expect(runtime.worker(3).sent).toEqual([]);
      expect(runtime.worker(4).sent).toEqual([]);
    });

    it("keeps the old workers serving while the new ones fail to boot", async () => {
      const { clock, runtime, sup } = harness({ workers: 1, timeout: 0 });
      await sup.start();
      runtime.readyAll();
      runtime.signal("SIGHUP");
      runtime.worker(2).exit({ code: 1 });
      clock.advance(RESTART_BACKOFF_CAP_MS);
      expect(runtime.worker(1).sent).toEqual([]);
      expect(readyIds(sup)).toEqual([1]);
      runtime.alive().at(-1)!.ready();
      expect(runtime.worker(1).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }]);
    });
  });

  describe("reload", () => {
    it("reads the config again and applies it to the new workers, in a new generation", async () => {
      const next = deferred<Config>();
      const reloadConfig = vi.fn(() => next.promise);
      const { runtime, sup } = harness({ workers: 2, keepalive: 5, logLevel: "info" }, () => 0, { reloadConfig });
      await sup.start();
      runtime.readyAll();

      runtime.signal("SIGHUP");
      expect(reloadConfig).toHaveBeenCalledTimes(1);
      // Nothing changes until the config has been read.
      expect(runtime.spawned).toHaveLength(2);
      expect(pool(sup)).toEqual([[1, "ready", false, 0], [2, "ready", false, 0]]);

      next.resolve(config({ app: "/app2.ts", workers: 2, keepalive: 9, logLevel: "warning", timeout: 1 }));
      await flush();
      expect(runtime.spawned).toHaveLength(4);
      for (const id of [3, 4]) {
        expect(runtime.worker(id).spec).toMatchObject({
          id,
          app: "/app2.ts",
          keepaliveMs: 9_000,
          logLevel: "warning",
          heartbeatMs: 500,
        });
      }
      expect(pool(sup)).toEqual([
        [1, "ready", true, 0],
        [2, "ready", true, 0],
        [3, "booting", false, 1],
        [4, "booting", false, 1],
      ]);
    });

    it("drains each old worker only as a new one becomes ready", async () => {
      const reloadConfig = () => Promise.resolve(config({ app: "/app2.ts" }));
      const { runtime, sup } = harness({ workers: 2 }, () => 0, { reloadConfig });
      await sup.start();
      runtime.readyAll();
      runtime.signal("SIGHUP");
      await flush();

      runtime.worker(3).message({ type: "booted" });
      expect(runtime.worker(1).sent).toEqual([]);
      runtime.worker(3).message({ type: "ready" });
      expect(runtime.worker(1).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }]);
      expect(runtime.worker(2).sent).toEqual([]);
      expect(readyIds(sup)).toEqual([2, 3]);

      runtime.worker(4).ready();
      expect(runtime.worker(2).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }]);
      runtime.worker(1).exit({ code: 0 });
      runtime.worker(2).exit({ code: 0 });
      expect(pool(sup)).toEqual([[3, "ready", false, 1], [4, "ready", false, 1]]);
      expect(runtime.spawned).toHaveLength(4);
    });

    it("logs a failed reload and keeps the workers and the config as they are", async () => {
      const reloadConfig = vi.fn(() =>
        Promise.reject(new Error("/srv/mgr.config.ts: `workers` must be an integer >= 1, got `0`"))
      );
      const { runtime, sup, logged } = harness({ workers: 2 }, () => 0, { reloadConfig });
      await sup.start();
      runtime.readyAll();

      runtime.signal("SIGHUP");
      await flush();
      expect(logged("[ERROR]")).toEqual([
        "[ERROR] Reload failed, keeping the workers and config as they are: " +
        "/srv/mgr.config.ts: `workers` must be an integer >= 1, got `0`",
      ]);
      expect(runtime.spawned).toHaveLength(2);
      expect(runtime.spawned.flatMap((w) => w.sent)).toEqual([]);
      expect(pool(sup)).toEqual([[1, "ready", false, 0], [2, "ready", false, 0]]);
      expect(await outcome(sup)).toBe("pending");

      // The failure is over: the next HUP reads the config again.
      runtime.signal("SIGHUP");
      expect(reloadConfig).toHaveBeenCalledTimes(2);
    });

    it("ignores a reload asked for while the config is still being read", async () => {
      const next = deferred<Config>();
      const reloadConfig = vi.fn(() => next.promise);
      const { runtime, sup, logged } = harness({ workers: 2 }, () => 0, { reloadConfig });
      await sup.start();
      runtime.readyAll();

      runtime.signal("SIGHUP");
      runtime.signal("SIGHUP");
      sup.reload();
      expect(reloadConfig).toHaveBeenCalledTimes(1);
      expect(logged("already in progress")).toEqual([
        "[WARNING] A reload is already in progress (reading the config); send HUP again once it has finished",
        "[WARNING] A reload is already in progress (reading the config); send HUP again once it has finished",
      ]);

      next.resolve(config({ workers: 2 }));
      await flush();
      expect(runtime.spawned).toHaveLength(4);
      expect(sup.workers().filter((w) => w.generation === 1).map((w) => w.id)).toEqual([3, 4]);
    });

    it("reloads through reload() as through SIGHUP", async () => {
      const reloadConfig = vi.fn(() => Promise.resolve(config({ workers: 2 })));
      const { runtime, sup, logged } = harness({ workers: 2 }, () => 0, { reloadConfig });
      await sup.start();
      runtime.readyAll();
      sup.reload();
      await flush();
      expect(reloadConfig).toHaveBeenCalledTimes(1);
      expect(logged("Hang up")).toEqual(["[INFO] Hang up: Master"]);
      expect(runtime.spawned).toHaveLength(4);
    });

    it("refuses a change of bind with a warning and keeps the old addresses", async () => {
      const reloadConfig = () => Promise.resolve(config({ workers: 1, bind: [{ host: "0.0.0.0", port: 9000 }], keepalive: 7 }));
      const { runtime, sup, logged } = harness({ workers: 1 }, () => 0, { reloadConfig });
      await sup.start();
      runtime.readyAll();
      runtime.signal("SIGHUP");
      await flush();
      expect(logged("[WARNING]")).toEqual([
        "[WARNING] The new config changes `bind`; addresses change on restart, so the old ones stay in use",
      ]);
      expect(runtime.worker(2).spec.bind).toEqual([{ host: "127.0.0.1", port: 8000 }]);
      // The rest of the new config applies.
      expect(runtime.worker(2).spec.keepaliveMs).toBe(7_000);
    });

    it("resizes the pool to the new workers count and calls nworkersChanged", async () => {
      const nworkersChanged = vi.fn();
      const reloadConfig = () => Promise.resolve(config({ workers: 3, hooks: { nworkersChanged } }));
      const { runtime, sup, logged } = harness({ workers: 2 }, () => 0, { reloadConfig });
      await sup.start();
      runtime.readyAll();
      runtime.signal("SIGHUP");
      await flush();

      expect(sup.desiredWorkers).toBe(3);
      expect(logged("Number of workers")).toEqual(["[INFO] Number of workers: 3"]);
      expect(nworkersChanged).toHaveBeenCalledTimes(1);
      const [server, workers, previous] = nworkersChanged.mock.calls[0]! as [ServerInfo, number, number];
      expect([server.pid, server.workers, workers, previous]).toEqual([1000, 3, 3, 2]);
      expect(runtime.spawned.slice(2).map((w) => w.spec.id)).toEqual([3, 4, 5]);

      // Capacity never dips: an old worker is drained only once more than three serve.
      runtime.worker(3).ready();
      expect(runtime.worker(1).sent).toEqual([]);
      runtime.worker(4).ready();
      expect(runtime.worker(1).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }]);
      runtime.worker(5).ready();
      expect(runtime.worker(2).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }]);
      expect(readyIds(sup)).toEqual([3, 4, 5]);
    });
  });

  describe("abandoned reload", () => {
    it("calls off a reload whose new workers cannot load the app, and keeps the old ones serving", async () => {
      const { clock, runtime, sup, logged } = harness({ workers: 2 });
      await sup.start();
      runtime.readyAll();
      runtime.signal("SIGHUP");
      greetAll(runtime);

      runtime.worker(3).message(appLoadError("SyntaxError: Unexpected token '}'"));
      runtime.worker(3).exit({ code: 4 });

      expect(pool(sup)).toEqual([
        [1, "ready", false, 0],
        [2, "ready", false, 0],
        [4, "stopping", false, 1],
      ]);
      expect(runtime.worker(4).sent).toEqual([{ type: "stop" }]);
      expect(runtime.worker(1).sent).toEqual([]);
      expect(runtime.worker(2).sent).toEqual([]);
      expect(logged("Reload abandoned")).toEqual([
        "[ERROR] Reload abandoned: the app no longer loads; 2 worker(s) keep serving",
      ]);

      // The other new worker hits the same error on its way out: nothing more is logged as an error.
      runtime.worker(4).message(appLoadError("SyntaxError: Unexpected token '}'"));
      runtime.worker(4).exit({ code: 4 });
      expect(logged("Reload abandoned")).toHaveLength(1);
      expect(logged("App failed to load")).toEqual([
        "[ERROR] App failed to load: SyntaxError: Unexpected token '}'\n    at /app.ts:1:7",
      ]);

      // The master stays up, respawns nothing, and its old workers serve on.
      clock.advance(RESTART_BACKOFF_CAP_MS);
      expect(runtime.spawned).toHaveLength(4);
      expect(readyIds(sup)).toEqual([1, 2]);
      expect(await outcome(sup)).toBe("pending");
      expect(logged("Reason:")).toEqual([]);
    });

    it("goes back to the config from before the reload", async () => {
      const reloadConfig = () => Promise.resolve(config({ app: "/broken.ts", workers: 3, timeout: 0 }));
      const { runtime, sup } = harness({ workers: 2, timeout: 0 }, () => 0, { reloadConfig });
      await sup.start();
      runtime.readyAll();
      runtime.signal("SIGHUP");
      await flush();
      expect(sup.desiredWorkers).toBe(3);
      greetAll(runtime);
      runtime.worker(3).exit({ code: 4 });
      expect(sup.desiredWorkers).toBe(2);
      for (const id of [4, 5]) runtime.worker(id).exit({ code: 0 });

      // A crash now is replaced by an ordinary respawn with the old config: the reload is over, so
      // the generation number (1) no longer marks a reload in progress.
      runtime.worker(1).exit({ code: 1 });
      expect(runtime.spawned).toHaveLength(6);
      expect(runtime.worker(6).spec.app).toBe("/app.ts");
      expect(pool(sup)).toEqual([[2, "ready", false, 0], [6, "booting", false, 1]]);
    });

    it("lets a later reload that works replace every worker", async () => {
      const { runtime, sup, logged } = harness({ workers: 2 });
      await sup.start();
      runtime.readyAll();
      runtime.signal("SIGHUP");
      greetAll(runtime);
      runtime.worker(3).exit({ code: 4 });
      runtime.worker(4).exit({ code: 0 });

      runtime.signal("SIGHUP");
      expect(runtime.spawned).toHaveLength(6);
      runtime.worker(5).ready();
      runtime.worker(6).ready();
      expect(runtime.worker(1).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }]);
      expect(runtime.worker(2).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }]);
      runtime.worker(1).exit({ code: 0 });
      runtime.worker(2).exit({ code: 0 });
      expect(pool(sup)).toEqual([[5, "ready", false, 2], [6, "ready", false, 2]]);
      expect(logged("Reload abandoned")).toHaveLength(1);
    });

    // BUG: #abandonReload decrements #generation, so a new-generation worker that was already ready
    // when the first reload was abandoned shares its generation with the next reload's workers; when
    // that reload is abandoned too, it is not counted as old, stays retiring, and the master at once
    // spawns a worker (of the broken app) to take its place, which fails to boot, forever.
    it("keeps every serving worker when a reload is abandoned after an earlier one was", async () => {
      const { clock, runtime, sup, logged } = harness({ workers: 2, timeout: 0 });
      await sup.start();
      runtime.readyAll();

      // First reload: worker 3 comes up and replaces worker 1; then worker 4 cannot load the app.
      runtime.signal("SIGHUP");
      greetAll(runtime);
      runtime.worker(3).ready();
      runtime.worker(1).exit({ code: 0 });
      runtime.worker(4).exit({ code: 4 });
      expect(readyIds(sup)).toEqual([2, 3]);

      // Second reload: its first new worker cannot load the app either.
      runtime.signal("SIGHUP");
      expect(runtime.spawned).toHaveLength(6);
      greetAll(runtime);
      runtime.worker(5).exit({ code: 4 });
      runtime.worker(6).exit({ code: 0 });

      expect(logged("Reload abandoned")).toHaveLength(2);
      expect(sup.workers().map((w) => [w.id, w.state, w.retiring])).toEqual([
        [2, "ready", false],
        [3, "ready", false],
      ]);
      clock.advance(RESTART_BACKOFF_CAP_MS);
      expect(runtime.spawned).toHaveLength(6);
    });
  });

  describe("SIGUSR1", () => {
    it("reopens the master's log files and tells every worker to reopen theirs", async () => {
      const reopenLogs = vi.fn();
      const { runtime, sup, messages } = harness({ workers: 2 }, () => 0, { reopenLogs });
      await sup.start();
      runtime.readyAll();
      const before = messages().length;

      runtime.signal("SIGUSR1");
      expect(reopenLogs).toHaveBeenCalledTimes(1);
      expect(runtime.worker(1).sent).toEqual([{ type: "reopen-logs" }]);
      expect(runtime.worker(2).sent).toEqual([{ type: "reopen-logs" }]);
      expect(messages().slice(before)).toEqual(["[INFO] Handling signal: usr1", "[INFO] Reopening log files"]);
      expect(runtime.spawned).toHaveLength(2);
    });

    it("tells a draining worker too, and a booting one as soon as it has spoken", async () => {
      const { runtime, sup } = harness({ workers: 2 }, () => 0, { reopenLogs: () => {} });
      await sup.start();
      runtime.readyAll();
      runtime.signal("SIGTTOU");
      runtime.signal("SIGTTIN");
      expect(runtime.worker(1).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }]);

      runtime.signal("SIGUSR1");
      expect(runtime.worker(1).sent).toEqual([{ type: "drain", graceMs: expect.any(Number) }, { type: "reopen-logs" }]);
      expect(runtime.worker(2).sent).toEqual([{ type: "reopen-logs" }]);
      expect(runtime.worker(3).sent).toEqual([]);
      runtime.worker(3).heartbeat();
      expect(runtime.worker(3).sent).toEqual([{ type: "reopen-logs" }]);
    });

    it("logs a master that cannot reopen its logs, and still tells the workers", async () => {
      const reopenLogs = () => {
        throw new Error("EACCES: permission denied, open '/var/log/mgr.log'");
      };
      const { runtime, sup, logged } = harness({ workers: 2 }, () => 0, { reopenLogs });
      await sup.start();
      runtime.readyAll();
      runtime.signal("SIGUSR1");
      expect(logged("[ERROR]")).toEqual([
        "[ERROR] Cannot reopen log files: EACCES: permission denied, open '/var/log/mgr.log'",
      ]);
      expect(runtime.spawned.map((w) => w.sent)).toEqual([[{ type: "reopen-logs" }], [{ type: "reopen-logs" }]]);
      expect(logged("Unexpected error")).toEqual([]);
      expect(await outcome(sup)).toBe("pending");
    });

    it("tells the workers even when the master has no log files of its own to reopen", async () => {
      const { runtime, sup } = harness({ workers: 1 });
      await sup.start();
      runtime.readyAll();
      runtime.signal("SIGUSR1");
      expect(runtime.worker(1).sent).toEqual([{ type: "reopen-logs" }]);
    });
  });

  describe("hooks", () => {
    it("runs onStarting with the server before any worker boots, and waits for it", async () => {
      const finish = deferred<void>();
      const seen: unknown[] = [];
      const h: Harness = harness({
        workers: 2,
        hooks: {
          onStarting(server) {
            seen.push([server.pid, server.workers, server.pool(), h.runtime.spawned.length]);
            return finish.promise;
          },
        },
      });
      const starting = h.sup.start();
      await flush();
      expect(seen).toEqual([[1000, 2, [], 0]]);
      expect(await isSettled(starting)).toBe(false);
      expect(h.runtime.spawned).toHaveLength(0);

      finish.resolve();
      await starting;
      expect(h.runtime.spawned).toHaveLength(2);
    });

    it("runs preFork just before each worker is spawned, with its id", async () => {
      const seen: [number, number, number][] = [];
      const h: Harness = harness({
        workers: 2,
        hooks: { preFork: (server, worker) => void seen.push([worker.id, server.workers, h.runtime.spawned.length]) },
      });
      await h.sup.start();
      expect(seen).toEqual([[1, 2, 0], [2, 2, 1]]);
      h.runtime.readyAll();
      h.runtime.worker(1).exit({ code: 1 });
      expect(seen.at(-1)).toEqual([3, 2, 2]);
    });

    it("runs whenReady once, when every worker of the first pool is ready", async () => {
      const states: string[][] = [];
      const whenReady = vi.fn((server: ServerInfo) => void states.push(server.pool().map((w) => w.state)));
      const { runtime, sup, logged } = harness({ workers: 2, hooks: { whenReady } });
      await sup.start();
      runtime.worker(1).ready();
      expect(whenReady).not.toHaveBeenCalled();
      runtime.worker(2).ready();
      expect(whenReady).toHaveBeenCalledTimes(1);
      expect(states).toEqual([["ready", "ready"]]);
      expect(logged("Ready:")).toHaveLength(1);

      runtime.worker(1).exit({ code: 1 });
      runtime.worker(3).ready();
      expect(whenReady).toHaveBeenCalledTimes(1);
    });

    it("runs childExit after a worker has exited, with the worker and how it ended", async () => {
      const seen: [WorkerRef, WorkerExit, number[]][] = [];
      const { runtime, sup } = harness({
        workers: 2,
        hooks: { childExit: (server, worker, exit) => void seen.push([worker, exit, server.pool().map((w) => w.id)]) },
      });
      await sup.start();
      runtime.readyAll();
      runtime.worker(1).exit({ code: 1 });
      runtime.worker(2).exit({ signal: "SIGKILL" });
      expect(seen).toEqual([
        [{ id: 1, pid: 2000 }, { code: 1, signal: null }, [2]],
        [{ id: 2, pid: 2001 }, { code: null, signal: "SIGKILL" }, [3]],
      ]);
    });

    it("runs nworkersChanged with the new and the previous pool size on TTIN, TTOU and scale", async () => {
      const seen: [number, number, number][] = [];
      const { runtime, sup } = harness({
        workers: 2,
        hooks: { nworkersChanged: (server, workers, previous) => void seen.push([server.workers, workers, previous]) },
      });
      await sup.start();
      runtime.readyAll();
      runtime.signal("SIGTTIN");
      runtime.signal("SIGTTOU");
      sup.scale(5);
      sup.scale(5);
      expect(seen).toEqual([[3, 3, 2], [2, 2, 3], [5, 5, 2]]);
    });

    it("runs the new config's onReload after the config is read, before new workers boot", async () => {
      const oldOnReload = vi.fn();
      const seen: [number, number][] = [];
      let h: Harness | undefined;
      const reloadConfig = () =>
        Promise.resolve(config({
          hooks: { onReload: (server) => void seen.push([server.workers, h!.runtime.spawned.length]) },
        }));
      h = harness({ workers: 2, hooks: { onReload: oldOnReload } }, () => 0, { reloadConfig });
      await h.sup.start();
      h.runtime.readyAll();
      h.runtime.signal("SIGHUP");
      expect(seen).toEqual([]);
      await flush();
      expect(seen).toEqual([[2, 2]]);
      expect(oldOnReload).not.toHaveBeenCalled();
      expect(h.runtime.spawned).toHaveLength(4);
    });

    it("runs onExit after the last worker is gone, and resolves done only once it has finished", async () => {
      const finish = deferred<void>();
      const seen: number[][] = [];
      const { runtime, sup, logged } = harness({
        workers: 1,
        hooks: {
          onExit(server) {
            seen.push(server.pool().map((w) => w.id));
            return finish.promise;
          },
        },
      });
      await sup.start();
      runtime.readyAll();
      runtime.signal("SIGTERM");
      expect(seen).toEqual([]);
      runtime.worker(1).exit({ code: 0 });
      expect(seen).toEqual([[]]);
      expect(logged("Shutting down: Master")).toHaveLength(1);
      expect(await outcome(sup)).toBe("pending");
      finish.resolve();
      expect(await outcome(sup)).toBe(0);
    });

    it("logs a hook that throws as `Hook NAME failed` and carries on", async () => {
      const { runtime, sup, logged } = harness({
        workers: 2,
        hooks: {
          onStarting() {
            throw new Error("no database");
          },
          preFork() {
            throw new Error("boom");
          },
          childExit() {
            throw "not an Error";
          },
        },
      });
      await sup.start();
      expect(runtime.spawned).toHaveLength(2);
      expect(logged("Hook onStarting failed")).toHaveLength(1);
      expect(logged("Hook onStarting failed")[0]).toMatch(/^\[ERROR\] Hook onStarting failed: Error: no database\n {4}at /);
      expect(logged("Hook preFork failed")).toHaveLength(2);
      expect(logged("Hook preFork failed")[0]).toMatch(/^\[ERROR\] Hook preFork failed: Error: boom\n/);

      runtime.readyAll();
      runtime.worker(1).exit({ code: 1 });
      expect(logged("Hook childExit failed")).toEqual(["[ERROR] Hook childExit failed: not an Error"]);
      expect(runtime.spawned).toHaveLength(3);
      expect(logged("Unexpected error")).toEqual([]);
    });

    it("logs a hook that rejects as `Hook NAME failed` and carries on", async () => {
      const { runtime, sup, logged } = harness({
        workers: 1,
        hooks: {
          whenReady: () => Promise.reject(new Error("slack is down")),
          onExit: async () => {
            throw new Error("cannot deregister");
          },
        } satisfies Hooks,
      });
      await sup.start();
      runtime.readyAll();
      await flush();
      expect(logged("Hook whenReady failed")).toHaveLength(1);
      expect(logged("Hook whenReady failed")[0]).toMatch(/^\[ERROR\] Hook whenReady failed: Error: slack is down\n/);

      runtime.worker(1).exit({ code: 1 });
      expect(runtime.spawned).toHaveLength(2);
      runtime.signal("SIGTERM");
      runtime.worker(2).exit({ code: 0 });
      expect(await outcome(sup)).toBe(0);
      expect(logged("Hook onExit failed")).toHaveLength(1);
    });
  });

  describe("status", () => {
    it("reports the master and every worker with its slot", async () => {
      const { clock, runtime, sup } = harness({ workers: 2 });
      const startedAt = clock.now();
      await sup.start();
      clock.advance(1_000);
      runtime.readyAll();
      clock.advance(4_000);
      runtime.worker(2).heartbeat(7, 1);
      expect(sup.status()).toEqual({
        pid: 1000,
        runtime: "node 0.0.0-fake",
        phase: "running",
        workers: 2,
        // Worker 1 has been silent for 4 s, past two heartbeats: ready, but not answering.
        ready: 1,
        startedAt,
        now: startedAt + 5_000,
        maxRssBytes: 0,
        pool: [
          {
            id: 1, pid: 2000, state: "ready", retiring: false, spare: false, generation: 0, slot: 1,
            spawnedAt: startedAt, readyAt: startedAt + 1_000, lastSeen: startedAt + 1_000, served: 0, inFlight: 0, rss: 0,
            loopDelayMs: undefined, restarts: 0, lastExit: undefined, ageMs: 5_000, responsive: false,
          },
          {
            id: 2, pid: 2001, state: "ready", retiring: false, spare: false, generation: 0, slot: 2,
            spawnedAt: startedAt, readyAt: startedAt + 1_000, lastSeen: startedAt + 5_000, served: 7, inFlight: 1, rss: 1,
            loopDelayMs: undefined, restarts: 0, lastExit: undefined, ageMs: 5_000, responsive: true,
          },
        ],
      });
    });

    it("counts the restarts of a slot and says how its last worker ended", async () => {
      const { clock, runtime, sup } = harness({ workers: 2, timeout: 30 });
      await sup.start();
      runtime.readyAll();
      runtime.worker(1).exit({ code: 1 });
      const afterCrash = sup.status().pool.map((w) => [w.id, w.slot, w.restarts, w.lastExit]);
      expect(afterCrash).toEqual([
        [2, 2, 0, undefined],
        [3, 1, 1, "exited with code 1"],
      ]);

      // Worker 3 hangs while booting: its boot deadline kills it, and worker 4 takes slot 1.
      runtime.worker(2).heartbeat();
      clock.advance(29_999);
      runtime.worker(2).heartbeat();
      clock.advance(1);
      runtime.worker(3).exit({ signal: "SIGKILL" });
      clock.advance(RESTART_BACKOFF_CAP_MS);
      const afterTimeout = sup.status().pool.map((w) => [w.id, w.slot, w.restarts, w.lastExit]);
      expect(afterTimeout).toEqual([
        [2, 2, 0, undefined],
        [4, 1, 2, "boot timed out, was killed by SIGKILL"],
      ]);
    });

    it("gives a spare no slot until it is promoted", async () => {
      const { runtime, sup } = harness({ workers: 1, maxRequests: 100 });
      await sup.start();
      runtime.worker(1).ready();
      runtime.worker(2).message({ type: "booted" });
      expect(sup.status().pool.map((w) => [w.id, w.spare, w.slot, w.restarts])).toEqual([
        [1, false, 1, 0],
        [2, true, undefined, 0],
      ]);

      runtime.worker(1).message({ type: "retire", served: 100 });
      expect(sup.status().pool.map((w) => [w.id, w.spare, w.retiring, w.slot])).toEqual([
        [1, false, true, 1],
        [2, false, false, 1],
        [3, true, false, undefined],
      ]);
    });
  });

  describe("scale", () => {
    it("sets the pool size, spawning what is missing", async () => {
      const { runtime, sup, logged } = harness({ workers: 2 });
      await sup.start();
      runtime.readyAll();
      sup.scale(4);
      expect(sup.desiredWorkers).toBe(4);
      expect(runtime.spawned).toHaveLength(4);
      expect(logged("Number of workers")).toEqual(["[INFO] Number of workers: 4"]);
    });

    it("drains the oldest workers when the size goes down", async () => {
      const { runtime, sup } = harness({ workers: 3 });
      await sup.start();
      runtime.readyAll();
      sup.scale(1);
      expect(sup.desiredWorkers).toBe(1);
      expect(runtime.spawned.map((w) => w.sent)).toEqual([[{ type: "drain", graceMs: expect.any(Number) }], [{ type: "drain", graceMs: expect.any(Number) }], []]);
    });

    it("does nothing when the size is the same", async () => {
      const { runtime, sup, logged } = harness({ workers: 2 });
      await sup.start();
      runtime.readyAll();
      sup.scale(2);
      expect(runtime.spawned).toHaveLength(2);
      expect(logged("Number of workers")).toEqual([]);
    });

    // BUG: the refusal says "stays at 1" whatever the pool size is; only TTOU at 1 makes that true.
    it("refuses a size below 1 and keeps the pool as it is", async () => {
      const { runtime, sup, logged } = harness({ workers: 3 });
      await sup.start();
      runtime.readyAll();
      sup.scale(0);
      expect(sup.desiredWorkers).toBe(3);
      expect(runtime.spawned.flatMap((w) => w.sent)).toEqual([]);
      expect(logged("Number of workers")).toEqual([
        "[INFO] Number of workers stays at 3: a pool is never scaled below one worker",
      ]);
    });
  });
});
