import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type PingableSocket, WebSocketPings } from "../../adapters/node/websocket-pings.ts";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A socket that records pings and terminations; `hear()` stands for a message or a pong. */
function fakeSocket() {
  const listeners = new Map<string, () => void>();
  const socket: PingableSocket & { pings: number; terminated: boolean; hear(): void; close(): void } = {
    pings: 0,
    terminated: false,
    ping() {
      this.pings++;
    },
    terminate() {
      this.terminated = true;
    },
    on(event, listener) {
      listeners.set(event, listener);
    },
    once(event, listener) {
      listeners.set(event, listener);
    },
    hear: () => listeners.get("pong")!(),
    close: () => listeners.get("close")!(),
  };
  return socket;
}

describe("WebSocketPings", () => {
  const edge = { wsPingIntervalMs: 20_000, wsPingTimeoutMs: 10_000 };

  it("pings a socket silent for the interval, and terminates it when the pong is later than the timeout", () => {
    const pings = new WebSocketPings(edge);
    const socket = fakeSocket();
    pings.watch(socket);
    // Swept every 2.5 s (a quarter of the shorter bound).
    vi.advanceTimersByTime(19_999);
    expect(socket.pings).toBe(0);
    vi.advanceTimersByTime(1);
    expect(socket.pings).toBe(1);
    vi.advanceTimersByTime(9_999);
    expect(socket.terminated).toBe(false);
    vi.advanceTimersByTime(1);
    expect(socket.terminated).toBe(true);
  });

  it("keeps a socket that answers, pinging it again only after another silent interval", () => {
    const pings = new WebSocketPings(edge);
    const socket = fakeSocket();
    pings.watch(socket);
    vi.advanceTimersByTime(22_500);
    expect(socket.pings).toBe(1);
    socket.hear();
    vi.advanceTimersByTime(15_000);
    expect(socket.terminated).toBe(false);
    expect(socket.pings).toBe(1);
    vi.advanceTimersByTime(8_000);
    expect(socket.pings).toBe(2);
  });

  it("stops sweeping once its last socket closes, and does nothing with an interval of 0", () => {
    const pings = new WebSocketPings(edge);
    const socket = fakeSocket();
    pings.watch(socket);
    socket.close();
    expect(vi.getTimerCount()).toBe(0);
    const off = new WebSocketPings({ wsPingIntervalMs: 0, wsPingTimeoutMs: 10_000 });
    off.watch(fakeSocket());
    expect(vi.getTimerCount()).toBe(0);
  });
});
