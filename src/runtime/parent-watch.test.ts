import { describe, expect, it, vi } from "vitest";
import { PARENT_POLL_INTERVAL_MS, watchParentPid } from "./parent-watch.ts";

/** A scheduler the test ticks by hand. */
function manualEvery() {
  const tasks = new Set<() => void>();
  let lastMs = 0;
  return {
    every(fn: () => void, ms: number) {
      lastMs = ms;
      tasks.add(fn);
      return () => void tasks.delete(fn);
    },
    tick() {
      for (const task of [...tasks]) task();
    },
    get running() {
      return tasks.size;
    },
    get lastMs() {
      return lastMs;
    },
  };
}

describe("watchParentPid", () => {
  it("calls onLost once, when the parent pid first differs from the one at the start", () => {
    const clock = manualEvery();
    let ppid = 100;
    const onLost = vi.fn();
    watchParentPid({ ppid: () => ppid, onLost, every: clock.every });
    clock.tick();
    expect(onLost).not.toHaveBeenCalled();
    ppid = 1; // adopted by init
    clock.tick();
    expect(onLost).toHaveBeenCalledTimes(1);
    ppid = 4321; // or by a subreaper, later: already told
    clock.tick();
    expect(onLost).toHaveBeenCalledTimes(1);
    expect(clock.running).toBe(0);
  });

  it("polls every PARENT_POLL_INTERVAL_MS by default, and stops when asked", () => {
    const clock = manualEvery();
    let ppid = 100;
    const onLost = vi.fn();
    const stop = watchParentPid({ ppid: () => ppid, onLost, every: clock.every });
    expect(clock.lastMs).toBe(PARENT_POLL_INTERVAL_MS);
    stop();
    ppid = 1;
    clock.tick();
    expect(onLost).not.toHaveBeenCalled();
  });

  it("does not keep the process alive with its own timer", () => {
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
    const before = timers();
    const stop = watchParentPid({ ppid: () => 100, onLost: () => {} });
    expect(timers()).toBe(before);
    stop();
  });
});
