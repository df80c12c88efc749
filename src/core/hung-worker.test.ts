/**
 * A hung worker's stack is captured before it is killed, and a capture that does not answer never
 * delays the kill past its deadline: over the fake runtime and clock.
 */

import { describe, expect, it } from "vitest";
import { FakeClock } from "../../test/support/fake-clock.ts";
import { FakeRuntime } from "../../test/support/fake-runtime.ts";
import { DEFAULTS } from "./config.ts";
import { formatHungWorker, STACK_CAPTURE_DEADLINE_MS } from "./hung-worker-report.ts";
import { createLogger } from "./logger.ts";
import type { WorkerStackCapture } from "./runtime.ts";
import { createSupervisor } from "./supervisor.ts";

const SPIN = { functionName: "spinForever", url: "/srv/app.ts", line: 4, column: 3 };

/** A runtime whose stack captures settle only when the test says so. */
function setup() {
  const clock = new FakeClock();
  const runtime = new FakeRuntime(clock);
  const captures: { pid: number; resolve: (c: WorkerStackCapture) => void; reject: (e: Error) => void }[] = [];
  Object.assign(runtime, {
    captureWorkerStack: (pid: number) =>
      new Promise<WorkerStackCapture>((resolve, reject) => captures.push({ pid, resolve, reject })),
  });
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", pid: 1000, write: (l) => lines.push(l), clock });
  const config = { ...DEFAULTS, app: "/srv/app.ts", workers: 1, timeout: 2 };
  const sup = createSupervisor({ runtime, config, logger, random: () => 0 });
  return { clock, runtime, captures, lines, sup };
}

/** Lets promise reactions run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe("a hung worker", () => {
  it("is killed only after its stack is captured and logged with its requests", async () => {
    const { clock, runtime, captures, lines, sup } = setup();
    await sup.start();
    runtime.readyAll();
    runtime.worker(1).message({ type: "heartbeat", served: 0, inFlight: 1, rss: 0, requests: [{ method: "GET", path: "/old", ageMs: 100 }] });
    clock.advance(2_000);
    expect(lines.some((l) => l.includes("WORKER TIMEOUT (pid:2000)"))).toBe(true);
    expect(captures.map((c) => c.pid)).toEqual([2000]);
    expect(runtime.killed).toEqual([]);

    captures[0]!.resolve({ frames: [SPIN], inFlight: [{ method: "GET", path: "/spin", ageMs: 2_100 }] });
    await flush();
    expect(runtime.killed).toEqual([[1, "SIGKILL"]]);
    const report = lines.find((l) => l.includes("was executing"))!;
    expect(report).toContain("at spinForever (/srv/app.ts:4:3)");
    expect(report).toContain("Requests in flight on worker (pid:2000): GET /spin (2.1 s)");
    // The log comes before the kill, the kill before the replacement.
    runtime.worker(1).exit({ signal: "SIGKILL" });
    expect(runtime.spawned).toHaveLength(2);
  });

  it("is killed at the capture's deadline when the capture never answers, naming its last heartbeat's requests", async () => {
    const { clock, runtime, captures, lines, sup } = setup();
    await sup.start();
    runtime.readyAll();
    runtime.worker(1).message({ type: "heartbeat", served: 0, inFlight: 1, rss: 0, requests: [{ method: "POST", path: "/upload", ageMs: 500 }] });
    clock.advance(2_000);
    expect(captures).toHaveLength(1);
    clock.advance(STACK_CAPTURE_DEADLINE_MS - 1);
    expect(runtime.killed).toEqual([]);
    clock.advance(1);
    expect(runtime.killed).toEqual([[1, "SIGKILL"]]);
    const report = lines.find((l) => l.includes("stack unavailable"))!;
    expect(report).toContain(`no answer within ${STACK_CAPTURE_DEADLINE_MS} ms`);
    expect(report).toContain("at its last heartbeat, 3.5 s ago: POST /upload (4.0 s)");
    // A late answer changes nothing.
    captures[0]!.resolve({ frames: [SPIN] });
    await flush();
    expect(runtime.killed).toEqual([[1, "SIGKILL"]]);
    expect(lines.filter((l) => l.includes("was executing"))).toEqual([]);
  });

  it("is killed at once, with its last heartbeat's requests, on a runtime that cannot capture", async () => {
    const clock = new FakeClock();
    const runtime = new FakeRuntime(clock);
    const lines: string[] = [];
    const logger = createLogger({ level: "debug", pid: 1000, write: (l) => lines.push(l), clock });
    const sup = createSupervisor({ runtime, config: { ...DEFAULTS, app: "/srv/app.ts", workers: 1, timeout: 2 }, logger });
    await sup.start();
    runtime.readyAll();
    clock.advance(2_000);
    expect(runtime.killed).toEqual([[1, "SIGKILL"]]);
    expect(lines.find((l) => l.includes("stack unavailable"))).toContain("cannot interrupt a busy worker");
  });
});

describe("formatHungWorker", () => {
  it("escapes what a client sent and lists the oldest requests first", () => {
    const text = formatHungWorker(7, { capture: { frames: [SPIN], inFlight: [
      { method: "GET", path: "/a", ageMs: 10 },
      { method: "GET", path: "/b\n[CRITICAL] forged", ageMs: 20 },
    ] } }, undefined);
    expect(text.split("\n").at(-1)).toBe("Requests in flight on worker (pid:7): GET /b\\n[CRITICAL] forged (0.0 s), GET /a (0.0 s)");
  });
});
