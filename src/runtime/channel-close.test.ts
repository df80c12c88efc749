import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CHANNEL_CLOSE_WAIT_MS, channelClosed, reportAfterChannelClose } from "./channel-close.ts";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("reportAfterChannelClose", () => {
  it("reports once the channel has closed, not before", async () => {
    let close!: () => void;
    const report = vi.fn();
    reportAfterChannelClose(new Promise<void>((resolve) => (close = resolve)), report);
    await vi.advanceTimersByTimeAsync(CHANNEL_CLOSE_WAIT_MS - 1);
    expect(report).not.toHaveBeenCalled();
    close();
    await vi.advanceTimersByTimeAsync(0);
    expect(report).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(CHANNEL_CLOSE_WAIT_MS);
    expect(report).toHaveBeenCalledTimes(1);
  });

  it("reports after CHANNEL_CLOSE_WAIT_MS when the channel stays open", async () => {
    const report = vi.fn();
    reportAfterChannelClose(new Promise<void>(() => {}), report);
    await vi.advanceTimersByTimeAsync(CHANNEL_CLOSE_WAIT_MS - 1);
    expect(report).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(report).toHaveBeenCalledTimes(1);
  });
});

describe("channelClosed", () => {
  it("resolves on disconnect, or at once when the channel is already closed", async () => {
    const open = Object.assign(new EventEmitter(), { connected: true });
    const closing = vi.fn();
    void channelClosed(open).then(closing);
    await vi.advanceTimersByTimeAsync(0);
    expect(closing).not.toHaveBeenCalled();
    open.emit("disconnect");
    await vi.advanceTimersByTimeAsync(0);
    expect(closing).toHaveBeenCalled();

    await expect(channelClosed(Object.assign(new EventEmitter(), { connected: false }))).resolves.toBeUndefined();
  });
});
