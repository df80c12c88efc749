import { describe, expect, it } from "vitest";
import { ConnectionWatch } from "../../adapters/deno/connection-watch.ts";
import { FakeClock } from "../support/fake-clock.ts";

function watch(headersTimeoutMs: number, keepaliveMs: number) {
  const clock = new FakeClock(0);
  const events: string[] = [];
  const connection = new ConnectionWatch({
    headersTimeoutMs,
    keepaliveMs,
    clock,
    onHeadTimeout: () => events.push(`head timeout at ${clock.now()}`),
    onIdle: () => events.push(`idle at ${clock.now()}`),
  });
  return { clock, events, connection };
}

describe("ConnectionWatch", () => {
  it("reports a connection whose first request has not begun when the head timeout falls due", () => {
    const { clock, events } = watch(10_000, 5_000);
    clock.advance(9_999);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events).toEqual(["head timeout at 10000"]);
    clock.advance(60_000);
    expect(events).toHaveLength(1);
  });

  it("closes a connection idle for keepalive after its first request, whatever the head timeout", () => {
    const { clock, events, connection } = watch(10_000, 4_000);
    clock.advance(2_000);
    connection.begin(); // a synchronous request at 2 s
    clock.advance(3_999);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events).toEqual(["idle at 6000"]);
  });

  it("never closes a connection while a request is in progress, however long", () => {
    const { clock, events, connection } = watch(1_000, 1_000);
    connection.begin();
    connection.beginAsync();
    clock.advance(60_000);
    expect(events).toEqual([]);
    connection.end(); // it answers at 60 s
    clock.advance(999);
    expect(events).toEqual([]);
    clock.advance(251);
    expect(events).toEqual(["idle at 61250"]);
  });

  it("keeps a busy keep-alive connection open and measures idleness from its last request", () => {
    const { clock, events, connection } = watch(1_000, 2_000);
    for (let t = 0; t < 20; t++) {
      connection.begin();
      clock.advance(1_900);
    }
    expect(events).toEqual([]);
    const last = clock.now() - 1_900;
    clock.advance(2_500);
    expect(events).toHaveLength(1);
    const closedAt = Number(events[0]!.split(" at ")[1]);
    expect(closedAt - last).toBeGreaterThanOrEqual(2_000);
    expect(closedAt - last).toBeLessThanOrEqual(2_500);
  });

  it("with no head bound, waits for the first request before it counts idleness", () => {
    const { clock, events, connection } = watch(0, 1_000);
    clock.advance(60_000);
    expect(events).toEqual([]);
    connection.begin();
    clock.advance(1_250);
    expect(events).toEqual(["idle at 61250"]);
  });

  it("with no idle bound, stops watching after the first request", () => {
    const { clock, events, connection } = watch(1_000, 0);
    connection.begin();
    clock.advance(1_000);
    expect(clock.pending).toBe(0);
    expect(events).toEqual([]);
  });

  it("stops for good when told", () => {
    const { clock, events, connection } = watch(1_000, 1_000);
    connection.stop();
    clock.advance(10_000);
    expect(events).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});
