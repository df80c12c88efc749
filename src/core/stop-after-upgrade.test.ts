/**
 * A stop that arrives while the new master a USR2 started does not serve yet: a graceful one drains
 * the workers only once it does (so the addresses never go without a server), or not at all if that
 * master died before it served; a quick one at once.
 */

import { describe, expect, it } from "vitest";
import { FakeClock } from "../../test/support/fake-clock.ts";
import { FakeRuntime } from "../../test/support/fake-runtime.ts";
import { type Config, DEFAULTS } from "./config.ts";
import { createLogger } from "./logger.ts";
import { createSupervisor } from "./supervisor.ts";

/**
 * A master of 2 ready workers whose upgrader has a handover pending until `finish()`, which says
 * whether the stop goes ahead (false: the new master died before it served).
 */
async function startUpgrading() {
  const clock = new FakeClock();
  const runtime = new FakeRuntime(clock);
  const logger = createLogger({ level: "debug", pid: 1000, write: () => {}, clock });
  const config: Config = { ...DEFAULTS, app: "/app.ts", workers: 2, timeout: 0 };
  let finish = (_goesAhead = true) => {};
  let pending: Promise<boolean> | undefined = new Promise<boolean>((resolve) => {
    finish = (goesAhead = true) => {
      pending = undefined;
      resolve(goesAhead);
    };
  });
  const handover = pending;
  const sup = createSupervisor({ runtime, config, logger, random: () => 0, upgrade: () => {}, beforeGracefulStop: () => pending });
  await sup.start();
  runtime.readyAll();
  return { runtime, sup, handover, finish };
}

describe("a stop during an upgrade's handover", () => {
  it("drains the workers on TERM only once the new master serves, then exits 0", async () => {
    const { runtime, sup, handover, finish } = await startUpgrading();
    runtime.signal("SIGTERM");
    expect(runtime.alive().map((w) => w.drained)).toEqual([false, false]);
    expect(sup.status().phase).toBe("running");

    finish();
    await handover;
    expect(runtime.alive().map((w) => w.drained)).toEqual([true, true]);
    for (const worker of runtime.alive()) worker.exit({ code: 0 });
    expect(await sup.done).toBe(0);
  });

  it("waits the same way for `mgr stop`, and a second TERM changes nothing", async () => {
    const { runtime, sup, handover, finish } = await startUpgrading();
    const done = sup.stop();
    runtime.signal("SIGTERM");
    expect(runtime.alive().map((w) => w.drained)).toEqual([false, false]);
    finish();
    await handover;
    expect(runtime.alive().map((w) => w.drained)).toEqual([true, true]);
    expect(runtime.alive().some((w) => w.stopped)).toBe(false);
    for (const worker of runtime.alive()) worker.exit({ code: 0 });
    expect(await done).toBe(0);
  });

  it("calls the stop off when the new master died before it served, and stops on the next TERM", async () => {
    const { runtime, sup, handover, finish } = await startUpgrading();
    runtime.signal("SIGTERM");
    runtime.signal("SIGTERM");
    finish(false);
    await handover;
    expect(runtime.alive().map((w) => ({ drained: w.drained, stopped: w.stopped }))).toEqual([
      { drained: false, stopped: false },
      { drained: false, stopped: false },
    ]);
    expect(sup.status().phase).toBe("running");

    runtime.signal("SIGTERM");
    expect(runtime.alive().map((w) => w.drained)).toEqual([true, true]);
    for (const worker of runtime.alive()) worker.exit({ code: 0 });
    expect(await sup.done).toBe(0);
  });

  it("stops the workers at once on QUIT", async () => {
    const { runtime, sup } = await startUpgrading();
    runtime.signal("SIGQUIT");
    expect(runtime.alive().map((w) => w.stopped)).toEqual([true, true]);
    for (const worker of runtime.alive()) worker.exit({ code: 0 });
    expect(await sup.done).toBe(0);
  });
});
