import { EventEmitter } from "node:events";
import { describe, expect, it, vi } from "vitest";
import { processChannel, type IpcProcess } from "./process-channel.ts";

/** A child's `process` whose channel, parent pid and send errors the test controls. */
class FakeProcess extends EventEmitter implements IpcProcess {
  connected = true;
  ppid = 100;
  sent: unknown[] = [];
  /** The error the next sends report to their callback, as Deno does for EPIPE. */
  sendError: (Error & { code?: string }) | null = null;

  send(message: unknown, _handle: undefined, _options: object, callback: (error: Error | null) => void): boolean {
    this.sent.push(message);
    queueMicrotask(() => callback(this.sendError));
    return true;
  }
}

/** A poll of the parent pid that runs when the test ticks it. */
function manualEvery() {
  const tasks = new Set<() => void>();
  return {
    every: (fn: () => void) => (tasks.add(fn), () => void tasks.delete(fn)),
    tick: () => [...tasks].forEach((task) => task()),
  };
}

function channelGoneError(code: string): Error & { code: string } {
  return Object.assign(new Error(`write ${code}`), { code });
}

describe("processChannel", () => {
  it("tells of a lost parent once, on the channel's disconnect", () => {
    const proc = new FakeProcess();
    const channel = processChannel(proc, manualEvery());
    const lost = vi.fn();
    channel.onParentLost(lost);
    proc.emit("disconnect");
    proc.emit("disconnect");
    expect(lost).toHaveBeenCalledTimes(1);
  });

  it("tells of a lost parent when a send fails with EPIPE, though the channel never said disconnect", async () => {
    // Deno, when the master died with messages of ours unread: its read loop ends silently.
    const proc = new FakeProcess();
    const channel = processChannel(proc, manualEvery());
    const lost = vi.fn();
    channel.onParentLost(lost);
    proc.sendError = channelGoneError("EPIPE");
    await channel.send({ type: "heartbeat", served: 0, inFlight: 0, rss: 0 });
    expect(lost).toHaveBeenCalledTimes(1);
  });

  it("tells of a lost parent when the parent pid changes, though the channel says nothing", () => {
    const proc = new FakeProcess();
    const poll = manualEvery();
    const channel = processChannel(proc, poll);
    const lost = vi.fn();
    channel.onParentLost(lost);
    poll.tick();
    expect(lost).not.toHaveBeenCalled();
    proc.ppid = 1;
    poll.tick();
    expect(lost).toHaveBeenCalledTimes(1);
  });

  it("does not take another send error for a lost parent", async () => {
    const proc = new FakeProcess();
    const channel = processChannel(proc, manualEvery());
    const lost = vi.fn();
    channel.onParentLost(lost);
    proc.sendError = new TypeError("cannot serialize");
    await channel.send({ type: "booted" });
    expect(lost).not.toHaveBeenCalled();
  });

  it("answers a lost parent registered late, and releases a pending round trip", async () => {
    const proc = new FakeProcess();
    const poll = manualEvery();
    const channel = processChannel(proc, poll);
    const roundTrip = channel.roundTrip();
    proc.ppid = 1;
    poll.tick();
    await roundTrip;
    const lost = vi.fn();
    channel.onParentLost(lost);
    await Promise.resolve();
    expect(lost).toHaveBeenCalledTimes(1);
  });

  it("passes on every message but its own pongs, known or not", () => {
    const proc = new FakeProcess();
    const channel = processChannel(proc, manualEvery());
    const received: unknown[] = [];
    channel.onMessage((message) => received.push(message));
    proc.emit("message", { type: "pong", seq: 1 });
    proc.emit("message", { type: "drain" });
    proc.emit("message", { type: "restart" });
    proc.emit("message", null);
    expect(received).toEqual([{ type: "drain" }, { type: "restart" }, null]);
  });
});
