import { describe, expect, it } from "vitest";
import {
  RESTART_BACKOFF_BASE_MS,
  RESTART_BACKOFF_CAP_MS,
  RESTART_STREAK_WINDOW_MS,
  RestartBackoff,
} from "./restart-backoff.ts";

describe("RestartBackoff", () => {
  it("waits 250 ms after the second crash, capped at 15 s, with a 60 s streak window", () => {
    expect([RESTART_BACKOFF_BASE_MS, RESTART_BACKOFF_CAP_MS, RESTART_STREAK_WINDOW_MS]).toEqual([250, 15_000, 60_000]);
    const backoff = new RestartBackoff();
    expect([backoff.baseMs, backoff.capMs, backoff.windowMs]).toEqual([250, 15_000, 60_000]);
  });

  it("replaces the first crash at once, then doubles the wait up to the cap", () => {
    const backoff = new RestartBackoff();
    const delays = Array.from({ length: 10 }, (_, i) => backoff.recordFailure(1_000 * i));
    expect(delays).toEqual([0, 250, 500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000]);
    expect(backoff.streak).toBe(10);
  });

  it("starts with no streak", () => {
    expect(new RestartBackoff().streak).toBe(0);
  });

  it("keeps the streak for a crash just inside the window and starts a new one at the window", () => {
    const backoff = new RestartBackoff();
    expect(backoff.recordFailure(0)).toBe(0);
    expect(backoff.recordFailure(RESTART_STREAK_WINDOW_MS - 1)).toBe(250);
    expect(backoff.streak).toBe(2);
    // Measured from the previous crash, not the first of the streak.
    expect(backoff.recordFailure(2 * RESTART_STREAK_WINDOW_MS - 2)).toBe(500);
    expect(backoff.recordFailure(3 * RESTART_STREAK_WINDOW_MS - 2)).toBe(0);
    expect(backoff.streak).toBe(1);
    expect(backoff.recordFailure(3 * RESTART_STREAK_WINDOW_MS)).toBe(250);
  });

  it("uses the base, cap and window it is given", () => {
    const backoff = new RestartBackoff(100, 350, 10);
    expect([0, 1, 2, 3, 4].map((t) => backoff.recordFailure(t))).toEqual([0, 100, 200, 350, 350]);
    expect(backoff.recordFailure(14)).toBe(0);
  });
});
