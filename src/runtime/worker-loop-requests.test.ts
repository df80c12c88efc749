/**
 * The worker loop keeps its requests in flight for the log of a hung worker: the oldest go out with
 * each heartbeat, and a debugger can read them all; a Node worker leaves SIGUSR1 to its inspector.
 */

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeHost, SPEC } from "../../test/support/fake-worker-host.ts";
import { HEARTBEAT_REQUESTS, IN_FLIGHT_EXPRESSION, IN_FLIGHT_SYMBOL } from "./requests-in-flight.ts";
import { runWorker } from "./worker-loop.ts";

const pending = new Promise<Response>(() => {});
const app = {
  default: { fetch: (request: Request) => (new URL(request.url).pathname === "/quick" ? new Response("ok") : pending) },
};

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  delete (globalThis as Record<symbol, unknown>)[IN_FLIGHT_SYMBOL];
});

type Heartbeat = { type: "heartbeat"; requests?: { method: string; path: string; ageMs: number }[] };
const lastHeartbeat = (host: FakeHost) => host.sent.filter((m) => m.type === "heartbeat").at(-1) as Heartbeat;

describe("runWorker's requests in flight", () => {
  it("names the oldest requests in flight in each heartbeat, and none once they are answered", async () => {
    const host = new FakeHost(SPEC, app);
    await runWorker(host);
    void host.handler!(new Request("http://x/slow?id=1"));
    vi.advanceTimersByTime(400);
    for (let i = 2; i <= HEARTBEAT_REQUESTS + 2; i++) void host.handler!(new Request(`http://x/slow?id=${i}`));
    await host.handler!(new Request("http://x/quick"));
    vi.advanceTimersByTime(600);
    const { requests } = lastHeartbeat(host);
    expect(requests).toHaveLength(HEARTBEAT_REQUESTS);
    expect(requests![0]).toEqual({ method: "GET", path: "/slow?id=1", ageMs: 1_000 });
    expect(requests![1]).toEqual({ method: "GET", path: "/slow?id=2", ageMs: 600 });
    expect(requests!.some((r) => r.path === "/quick")).toBe(false);
  });

  it("sends no list when nothing is in flight", async () => {
    const host = new FakeHost(SPEC, app);
    await runWorker(host);
    await host.handler!(new Request("http://x/quick"));
    vi.advanceTimersByTime(SPEC.heartbeatMs);
    expect(lastHeartbeat(host).requests).toBeUndefined();
  });

  it("publishes every request in flight for a debugger that pauses the worker", async () => {
    const host = new FakeHost(SPEC, app);
    await runWorker(host);
    void host.handler!(new Request("http://x/spin", { method: "POST", body: "x" }));
    const read = JSON.parse((0, eval)(IN_FLIGHT_EXPRESSION) as string);
    expect(read).toEqual([{ method: "POST", path: "/spin", ageMs: expect.any(Number) }]);
  });

  it("leaves SIGUSR1 to a host whose stack the master can capture, and closes a stray inspector at a heartbeat", async () => {
    const host = new FakeHost(SPEC, app);
    let stray = false;
    const armed: string[] = [];
    Object.assign(host, {
      stackCapture: {
        arm: () => armed.push("armed"),
        closeStray: () => {
          const was = stray;
          stray = false;
          return was;
        },
      },
    });
    const handled: string[] = [];
    const onSignal = host.onSignal.bind(host);
    host.onSignal = (signal, fn) => {
      handled.push(signal);
      onSignal(signal, fn);
    };
    await runWorker(host);
    expect(armed).toEqual(["armed"]);
    expect(handled).not.toContain("SIGUSR1");
    stray = true;
    vi.advanceTimersByTime(SPEC.heartbeatMs);
    expect(host.errors.join("")).toContain("Closed the inspector a SIGUSR1 opened; reopening log files");
  });
});
