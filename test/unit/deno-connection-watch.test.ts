import { describe, expect, it } from "vitest";
import { ConnectionClock, WatchedConnection } from "../../adapters/deno/connection-watch.ts";
import { FakeClock } from "../support/fake-clock.ts";

function setup(headersTimeoutMs: number, keepaliveMs: number) {
  const clock = new FakeClock(0);
  const events: string[] = [];
  const watcher = new ConnectionClock({ headersTimeoutMs, keepaliveMs, clock });
  const accept = (name = "c") => {
    const connection = new WatchedConnection(
      () => events.push(`${name} head timeout at ${clock.now()}`),
      () => events.push(`${name} idle at ${clock.now()}`),
    );
    watcher.watch(connection);
    return connection;
  };
  return { clock, events, watcher, accept };
}

describe("ConnectionClock", () => {
  it("looks every quarter of the smaller bound, at most every second", () => {
    expect(setup(10_000, 5_000).watcher.periodMs).toBe(1_000);
    expect(setup(1_000, 0).watcher.periodMs).toBe(250);
    expect(setup(0, 2_000).watcher.periodMs).toBe(500);
  });

  it("reports a connection without a request head between the head timeout and one period later", () => {
    const { clock, events, accept } = setup(1_000, 5_000);
    clock.advance(100);
    accept("late"); // 100 ms after a look of the 250 ms period would have been (none yet: first at 250)
    clock.advance(999);
    expect(events).toEqual([]);
    clock.advance(250);
    expect(events).toEqual(["late head timeout at 1250"]);
    clock.advance(60_000);
    expect(events).toHaveLength(1);
  });

  it("never reports a head timeout sooner than the bound, wherever the connection falls between two looks", () => {
    for (const offset of [0, 1, 124, 249]) {
      const { clock, events, accept } = setup(1_000, 0);
      clock.advance(offset);
      accept();
      clock.advance(999);
      expect(events, `accepted at ${offset} ms`).toEqual([]);
      clock.advance(251);
      expect(events, `accepted at ${offset} ms`).toHaveLength(1);
    }
  });

  it("closes an idle connection between keepalive and keepalive plus one period after its last request", () => {
    const { clock, events, accept } = setup(10_000, 4_000);
    const connection = accept();
    clock.advance(2_100);
    connection.begin(); // a synchronous request
    clock.advance(3_999);
    expect(events).toEqual([]);
    clock.advance(1_000);
    expect(events).toEqual(["c idle at 7000"]);
  });

  it("never closes a connection while a request is in progress, however long", () => {
    const { clock, events, accept } = setup(1_000, 1_000);
    const connection = accept();
    connection.begin();
    connection.beginAsync();
    clock.advance(60_000);
    expect(events).toEqual([]);
    connection.end(); // it answers at 60 s
    clock.advance(999);
    expect(events).toEqual([]);
    clock.advance(251);
    expect(events).toEqual(["c idle at 61250"]);
  });

  it("keeps a busy keep-alive connection open and measures idleness from its last request", () => {
    const { clock, events, accept } = setup(1_000, 2_000);
    const connection = accept();
    connection.begin();
    for (let i = 0; i < 20; i++) {
      clock.advance(1_900);
      connection.begin();
    }
    expect(events).toEqual([]);
    const last = clock.now();
    clock.advance(3_000);
    expect(events).toHaveLength(1);
    const closedAt = Number(events[0]!.split(" at ")[1]);
    expect(closedAt - last).toBeGreaterThanOrEqual(2_000);
    expect(closedAt - last).toBeLessThanOrEqual(2_500);
  });

  it("with no head bound, waits for the first request before it counts idleness", () => {
    const { clock, events, accept } = setup(0, 1_000);
    const connection = accept();
    clock.advance(60_000);
    expect(events).toEqual([]);
    connection.begin();
    clock.advance(1_250);
    expect(events).toEqual(["c idle at 61250"]);
  });

  it("with no idle bound, forgets a connection once its first request has begun", () => {
    const { clock, events, accept } = setup(1_000, 0);
    accept().begin();
    clock.advance(60_000);
    expect(events).toEqual([]);
  });

  it("reports nothing about a connection it no longer watches, nor after it stops", () => {
    const { clock, events, watcher, accept } = setup(1_000, 1_000);
    watcher.unwatch(accept("gone"));
    accept("stopped");
    watcher.stop();
    clock.advance(10_000);
    expect(events).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});
