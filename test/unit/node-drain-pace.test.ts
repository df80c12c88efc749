import { describe, expect, it } from "vitest";
import { DRAIN_PACE_MS, releaseGradually } from "../../adapters/node/drain-pace.ts";

/** Timers that run only when the test advances them, in order of their time. */
function fakeTimers() {
  let now = 0;
  const due: { at: number; fn: () => void }[] = [];
  return {
    setTimeout(fn: () => void, ms: number) {
      due.push({ at: now + ms, fn });
    },
    advance(ms: number) {
      const until = now + ms;
      for (;;) {
        due.sort((a, b) => a.at - b.at);
        const first = due[0];
        if (!first || first.at > until) break;
        due.shift();
        now = first.at;
        first.fn();
      }
      now = until;
    },
    get pending() {
      return due.length;
    },
  };
}

describe("releaseGradually", () => {
  it("releases the first connection at once and the rest evenly over the window", () => {
    const timers = fakeTimers();
    const released: number[] = [];
    releaseGradually([1, 2, 3, 4], (n) => released.push(n), { windowMs: 300, timers });
    expect(released).toEqual([1]);
    timers.advance(74);
    expect(released).toEqual([1]);
    timers.advance(1);
    expect(released).toEqual([1, 2]);
    timers.advance(150);
    expect(released).toEqual([1, 2, 3, 4]);
    expect(timers.pending).toBe(0);
  });

  it("releases many connections in batches, all within the window", () => {
    const timers = fakeTimers();
    const released: number[] = [];
    const connections = Array.from({ length: 1000 }, (_, i) => i);
    releaseGradually(connections, (n) => released.push(n), { timers });
    expect(released.length).toBe(17); // 60 steps of 5 ms, 17 a step
    timers.advance(DRAIN_PACE_MS);
    expect(released).toEqual(connections);
  });

  it("does nothing without connections", () => {
    const timers = fakeTimers();
    releaseGradually([], () => expect.unreachable(), { timers });
    expect(timers.pending).toBe(0);
  });
});
