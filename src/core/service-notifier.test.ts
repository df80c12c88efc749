import { describe, expect, it } from "vitest";
import { FakeClock } from "../../test/support/fake-clock.ts";
import { FakeRuntime } from "../../test/support/fake-runtime.ts";
import { type Config, DEFAULTS } from "./config.ts";
import type { LifecycleEvent } from "./lifecycle-event.ts";
import { createLogger } from "./logger.ts";
import { ServiceNotifier, watchdogIntervalMs } from "./service-notifier.ts";
import { createSupervisor, type SupervisorOptions } from "./supervisor.ts";

/** A notifier whose messages land in `sent`, over a fake clock. */
function setup(watchdogIntervalMs = 0) {
  const clock = new FakeClock();
  const sent: string[] = [];
  const notifier = new ServiceNotifier({
    send: (message) => sent.push(message),
    clock,
    monotonicMicros: () => 123_456_789n,
    pid: 4242,
    watchdogIntervalMs,
    serving: "http://127.0.0.1:8000",
  });
  return { clock, sent, notifier };
}

describe("ServiceNotifier", () => {
  it("sends MAINPID, READY, RELOADING with MONOTONIC_USEC, READY again and STOPPING, in that order", () => {
    const { sent, notifier } = setup();
    notifier.starting(2);
    notifier.onLifecycle({ type: "ready", workers: 2 });
    notifier.onLifecycle({ type: "reloading" });
    notifier.onLifecycle({ type: "reloaded", workers: 2 });
    notifier.onLifecycle({ type: "scaled", workers: 1 });
    notifier.onLifecycle({ type: "stopping" });
    expect(sent).toEqual([
      "MAINPID=4242\nSTATUS=Booting 2 workers",
      "READY=1\nMAINPID=4242\nSTATUS=2 workers serving http://127.0.0.1:8000",
      "RELOADING=1\nMONOTONIC_USEC=123456789\nSTATUS=Reloading",
      "READY=1\nSTATUS=2 workers serving http://127.0.0.1:8000",
      "STATUS=1 worker serving http://127.0.0.1:8000",
      "STOPPING=1\nSTATUS=Stopping",
    ]);
  });

  it("after a hand-over to a new master, sends only watchdog pings, until it reclaims the service", () => {
    const { clock, sent, notifier } = setup(5_000);
    notifier.starting(2);
    notifier.onLifecycle({ type: "ready", workers: 2 });
    notifier.handOver(777);
    notifier.onLifecycle({ type: "scaled", workers: 0 });
    notifier.onLifecycle({ type: "stopping" });
    clock.advance(5_000);
    expect(sent.slice(2)).toEqual(["STATUS=Upgrading: new master 777 is starting", "WATCHDOG=1"]);
    notifier.reclaim(2);
    notifier.onLifecycle({ type: "stopping" });
    expect(sent.slice(4)).toEqual([
      "READY=1\nMAINPID=4242\nSTATUS=2 workers serving http://127.0.0.1:8000",
      "STOPPING=1\nSTATUS=Stopping",
    ]);
  });

  it("pings the watchdog every interval until closed", () => {
    const { clock, sent, notifier } = setup(5_000);
    clock.advance(4_999);
    expect(sent).toEqual([]);
    clock.advance(1);
    expect(sent).toEqual(["WATCHDOG=1"]);
    clock.advance(10_000);
    expect(sent).toEqual(["WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1"]);
    notifier.close();
    clock.advance(60_000);
    expect(sent).toHaveLength(3);
    expect(clock.pending).toBe(0);
  });

  it("sends no watchdog pings when none is asked for", () => {
    const { clock, sent } = setup(0);
    clock.advance(600_000);
    expect(sent).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});

describe("watchdogIntervalMs", () => {
  it("is half of WATCHDOG_USEC, in milliseconds", () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000" }, 7)).toBe(15_000);
  });

  it("is 0 when WATCHDOG_PID names another process", () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "8" }, 7)).toBe(0);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "7" }, 7)).toBe(15_000);
  });

  it("is 0 without WATCHDOG_USEC, or with one that is not a positive integer", () => {
    expect(watchdogIntervalMs({}, 7)).toBe(0);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "0" }, 7)).toBe(0);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "soon" }, 7)).toBe(0);
  });
});

describe("Supervisor lifecycle events", () => {
  function supervisor(options: Pick<SupervisorOptions, "reloadConfig"> = {}) {
    const clock = new FakeClock();
    const runtime = new FakeRuntime(clock);
    const events: LifecycleEvent[] = [];
    const config: Config = { ...DEFAULTS, app: "/app.ts", workers: 2 };
    const logger = createLogger({ level: "debug", pid: 1000, write: () => {}, clock });
    const sup = createSupervisor({ runtime, config, logger, random: () => 0, onLifecycle: (e) => events.push(e), ...options });
    return { runtime, sup, events };
  }

  async function settle(): Promise<void> {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  }

  it("says ready once the whole first pool is, then reloading and reloaded around a HUP, then stopping", async () => {
    const { runtime, sup, events } = supervisor({ reloadConfig: () => Promise.resolve({ ...DEFAULTS, app: "/app.ts", workers: 2 }) });
    await sup.start();
    runtime.worker(1).ready();
    expect(events).toEqual([]);
    runtime.worker(2).ready();
    expect(events).toEqual([{ type: "ready", workers: 2 }]);

    runtime.signal("SIGHUP");
    expect(events.at(-1)).toEqual({ type: "reloading" });
    await settle();
    runtime.worker(3).ready();
    runtime.worker(4).ready();
    runtime.worker(1).exit({ code: 0 });
    expect(events.at(-1)).toEqual({ type: "reloading" });
    runtime.worker(2).exit({ code: 0 });
    expect(events.at(-1)).toEqual({ type: "reloaded", workers: 2 });

    runtime.signal("SIGTERM");
    expect(events).toEqual([
      { type: "ready", workers: 2 },
      { type: "reloading" },
      { type: "reloaded", workers: 2 },
      { type: "stopping" },
    ]);
  });

  it("says reloaded when the config cannot be read again, so READY=1 follows RELOADING=1", async () => {
    const { runtime, sup, events } = supervisor({ reloadConfig: () => Promise.reject(new Error("syntax error")) });
    await sup.start();
    runtime.readyAll();
    runtime.signal("SIGHUP");
    await settle();
    expect(events).toEqual([{ type: "ready", workers: 2 }, { type: "reloading" }, { type: "reloaded", workers: 2 }]);
  });

  it("says reloaded when a reload is abandoned because the new app does not load", async () => {
    const { runtime, sup, events } = supervisor({ reloadConfig: () => Promise.resolve({ ...DEFAULTS, app: "/app.ts", workers: 2 }) });
    await sup.start();
    runtime.readyAll();
    runtime.signal("SIGHUP");
    await settle();
    runtime.worker(3).message({ type: "boot-error", kind: "app-load", message: "SyntaxError", stack: "SyntaxError" });
    runtime.worker(3).exit({ code: 4 });
    expect(events.at(-1)).toEqual({ type: "reloaded", workers: 2 });
  });

  it("says scaled on TTIN", async () => {
    const { runtime, sup, events } = supervisor();
    await sup.start();
    runtime.readyAll();
    runtime.signal("SIGTTIN");
    expect(events.at(-1)).toEqual({ type: "scaled", workers: 3 });
  });
});
