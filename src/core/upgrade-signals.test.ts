/**
 * The supervisor's part in a USR2 upgrade: USR2 asks for a new master, WINCH drains every worker and
 * keeps the master, HUP brings the pool back, and a master started by an upgrade does not probe the
 * addresses its predecessor still holds.
 */

import { describe, expect, it } from "vitest";
import { FakeClock } from "../../test/support/fake-clock.ts";
import { FakeRuntime } from "../../test/support/fake-runtime.ts";
import { type Config, DEFAULTS } from "./config.ts";
import { createLogger } from "./logger.ts";
import { createSupervisor, type SupervisorOptions } from "./supervisor.ts";
import type { LifecycleEvent } from "./lifecycle-event.ts";

function start(overrides: Partial<Config> = {}, options: Partial<SupervisorOptions> = {}) {
  const clock = new FakeClock();
  const runtime = new FakeRuntime(clock);
  const lines: string[] = [];
  const lifecycle: LifecycleEvent[] = [];
  const logger = createLogger({ level: "debug", pid: 1000, write: (l) => lines.push(l), clock });
  const config: Config = { ...DEFAULTS, app: "/app.ts", workers: 2, timeout: 0, ...overrides };
  const sup = createSupervisor({ runtime, config, logger, random: () => 0, onLifecycle: (e) => lifecycle.push(e), ...options });
  const logged = (text: string) => lines.map((l) => l.replace(/^\[[^\]]+\] \[1000\] /, "")).filter((l) => l.includes(text));
  return { clock, runtime, sup, logged, lifecycle };
}

describe("USR2", () => {
  it("asks for a new master once per signal while running, and leaves the pool as it is", async () => {
    let upgrades = 0;
    const { runtime, sup } = start({}, { upgrade: () => upgrades++ });
    await sup.start();
    runtime.readyAll();
    runtime.signal("SIGUSR2");
    expect(upgrades).toBe(1);
    expect(runtime.alive().map((w) => w.drained)).toEqual([false, false]);
    runtime.signal("SIGUSR2");
    expect(upgrades).toBe(2); // whether a second one is sensible is the upgrader's to say
  });

  it("starts no new master once stopping", async () => {
    let upgrades = 0;
    const { runtime, sup } = start({}, { upgrade: () => upgrades++ });
    await sup.start();
    runtime.readyAll();
    runtime.signal("SIGTERM");
    runtime.signal("SIGUSR2");
    expect(upgrades).toBe(0);
  });
});

describe("WINCH", () => {
  it("drains every worker and spawns none in their place; the master stays", async () => {
    const { runtime, sup, logged, lifecycle } = start({ workers: 3 });
    await sup.start();
    runtime.readyAll();
    runtime.signal("SIGWINCH");
    expect(runtime.alive().every((w) => w.drained)).toBe(true);
    expect(logged("Stopping every worker gracefully")).toHaveLength(1);
    expect(lifecycle.at(-1)).toEqual({ type: "scaled", workers: 0 });
    for (const worker of runtime.alive()) worker.exit({ code: 0 });
    expect(runtime.spawned).toHaveLength(3);
    expect(runtime.alive()).toEqual([]);
    expect(sup.desiredWorkers).toBe(0);
    expect(sup.status().phase).toBe("running");
    runtime.signal("SIGWINCH"); // already none: nothing more to say
    expect(logged("Stopping every worker gracefully")).toHaveLength(1);
  });

  it("is undone by HUP, which boots the configured pool again", async () => {
    const { runtime, sup } = start({ workers: 2 });
    await sup.start();
    runtime.readyAll();
    runtime.signal("SIGWINCH");
    for (const worker of runtime.alive()) worker.exit({ code: 0 });
    runtime.signal("SIGHUP");
    expect(sup.desiredWorkers).toBe(2);
    expect(runtime.alive()).toHaveLength(2);
  });

  it("lets TTIN add one worker, and TERM end the master with 0", async () => {
    const { runtime, sup } = start({ workers: 2 });
    await sup.start();
    runtime.readyAll();
    runtime.signal("SIGWINCH");
    for (const worker of runtime.alive()) worker.exit({ code: 0 });
    runtime.signal("SIGTTIN");
    expect(runtime.alive()).toHaveLength(1);
    runtime.readyAll();
    runtime.signal("SIGTERM");
    for (const worker of runtime.alive()) worker.exit({ code: 0 });
    expect(await sup.done).toBe(0);
  });

  it("leaves the pool as it is when the master says WINCH may be a terminal's resize", async () => {
    let upgrading = false;
    const { runtime, sup, logged } = start({ workers: 2 }, { stopWorkersOnWinch: () => upgrading });
    await sup.start();
    runtime.readyAll();
    runtime.signal("SIGWINCH");
    expect(runtime.alive().map((w) => w.drained)).toEqual([false, false]);
    expect(sup.desiredWorkers).toBe(2);
    expect(logged("Ignoring SIGWINCH")).toEqual([
      "[INFO] Ignoring SIGWINCH: a terminal's resize sends it too, so in a terminal it stops the workers only during an upgrade (after USR2)",
    ]);
    upgrading = true;
    runtime.signal("SIGWINCH");
    expect(runtime.alive().every((w) => w.drained)).toBe(true);
    expect(sup.desiredWorkers).toBe(0);
  });

  it("ends a master with no workers at TERM, at once", async () => {
    const { runtime, sup } = start({ workers: 2 });
    await sup.start();
    runtime.readyAll();
    runtime.signal("SIGWINCH");
    for (const worker of runtime.alive()) worker.exit({ code: 0 });
    runtime.signal("SIGTERM");
    expect(await sup.done).toBe(0);
  });
});

describe("a master started by an upgrade", () => {
  it("does not probe the addresses the old master holds, but checks an inherited descriptor", async () => {
    const checked: string[] = [];
    const { runtime, sup, logged } = start({ bind: [{ host: "127.0.0.1", port: 8000 }, { fd: 3, name: "127.0.0.1:8001" }] }, { upgradingFrom: 42 });
    runtime.checkListen = (address) => {
      checked.push(JSON.stringify(address));
      return Promise.resolve();
    };
    runtime.busyAddresses.push({ host: "127.0.0.1", port: 8000 });
    await sup.start();
    expect(checked).toEqual(['{"fd":3,"name":"127.0.0.1:8001"}']);
    expect(logged("Listening at")).toEqual([
      "[INFO] Listening at: http://127.0.0.1:8000 (1000)",
      "[INFO] Listening at: http://127.0.0.1:8001 (1000)",
    ]);
    expect(runtime.alive()).toHaveLength(2);
  });
});
