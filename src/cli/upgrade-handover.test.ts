/**
 * Handover: how long a graceful stop after USR2 waits for the new master. The question asked over the
 * control socket is exercised by the behaviour suite (upgrade-attacks.test.ts); here, the paths
 * around it, on a fake clock.
 */

import { describe, expect, it } from "vitest";
import { FakeClock } from "../../test/support/fake-clock.ts";
import { FakeRuntime } from "../../test/support/fake-runtime.ts";
import { createLogger } from "../core/logger.ts";
import { Handover } from "./upgrade-handover.ts";

function setup(newMaster: () => number | undefined) {
  const clock = new FakeClock();
  const runtime = new FakeRuntime(clock);
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", pid: 1000, write: (l) => lines.push(l), clock });
  const handover = new Handover({ runtime, logger, newMaster, location: undefined, timeoutMs: 30_000 });
  let settled = false;
  void handover.settled.then(() => (settled = true));
  return { clock, handover, lines, isSettled: () => settled };
}

describe("Handover", () => {
  it("without a control socket to ask, ends once the new master is spawned", async () => {
    let pid: number | undefined;
    const { clock, handover, lines, isSettled } = setup(() => pid);
    void handover.watch();
    clock.advance(1_000);
    expect(handover.pending).toBe(true);
    expect(handover.stopWaits).toBe(true);
    pid = 4242;
    clock.advance(100);
    expect(await handover.settled).toBe("serves");
    expect(handover.stopWaits).toBe(false);
    expect(isSettled()).toBe(true);
    expect(lines.some((l) => l.includes("The new master (pid: 4242) serves"))).toBe(true);
  });

  it("gives up after its timeout, and says so", async () => {
    const { clock, handover, lines, isSettled } = setup(() => undefined);
    void handover.watch();
    clock.advance(29_999);
    expect(isSettled()).toBe(false);
    clock.advance(1);
    expect(await handover.settled).toBe("timed-out");
    expect(handover.pending).toBe(false);
    expect(lines.filter((l) => l.includes("The new master does not serve after 30 s; stopping anyway"))).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it("ends when told the new master is gone, and asks nothing before a stop watches", async () => {
    const { clock, handover, isSettled } = setup(() => 4242);
    expect(clock.pending).toBe(0);
    expect(handover.stopWaits).toBe(false);
    handover.end("gone");
    expect(await handover.settled).toBe("gone");
    expect(isSettled()).toBe(true);
    expect(handover.pending).toBe(false);
    await handover.watch();
    expect(clock.pending).toBe(0);
  });
});
