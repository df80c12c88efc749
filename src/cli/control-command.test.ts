import { describe, expect, it } from "vitest";
import type { StatusReport } from "../core/supervisor.ts";
import { formatDuration, formatStatus } from "./control-command.ts";

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

type PoolEntry = StatusReport["pool"][number];

function worker(overrides: Partial<PoolEntry>): PoolEntry {
  return {
    id: 1,
    pid: 2000,
    state: "ready",
    retiring: false,
    spare: false,
    generation: 0,
    slot: 1,
    spawnedAt: NOW - 65_000,
    readyAt: NOW - 64_000,
    served: 0,
    inFlight: 0,
    rss: 0,
    restarts: 0,
    ...overrides,
  };
}

const STATUS: StatusReport = {
  pid: 1000,
  runtime: "node 20.20.2",
  workers: 2,
  startedAt: NOW - (3 * 3600 + 2 * 60 + 5) * 1000,
  now: NOW,
  pool: [
    worker({ id: 1, pid: 2001, slot: 1, served: 120, inFlight: 3, rss: 50 * 1024 * 1024 }),
    worker({
      id: 4,
      pid: 2005,
      slot: 2,
      retiring: true,
      spawnedAt: NOW - 42_000,
      served: 5,
      rss: 1.25 * 1024 * 1024,
      restarts: 2,
      lastExit: "exited with code 1 (ready)",
    }),
    worker({ id: 5, pid: 2006, slot: 2, state: "booting", spawnedAt: NOW - 1_500, readyAt: undefined, restarts: 3 }),
    worker({ id: 6, pid: 2007, slot: 1, state: "draining", spawnedAt: NOW - 7_200_000, served: 10_000 }),
    worker({ id: 7, pid: 2008, slot: undefined, spare: true, state: "booting", spawnedAt: NOW - 3_000, readyAt: undefined }),
  ],
};

describe("formatStatus", () => {
  it("renders the master and one aligned row per worker", () => {
    expect(formatStatus(STATUS)).toBe(
      [
        "master 1000 (node 20.20.2), up 3h 2m, 2 workers wanted",
        "SLOT  PID   STATE     AGE    SERVED  IN-FLIGHT  RSS      RESTARTS  LAST EXIT",
        "1     2001  ready     1m 5s  120     3          50.0 MB  0         -",
        "2     2005  retiring  42s    5       0          1.3 MB   2         exited with code 1 (ready)",
        "2     2006  booting   1s     0       0          -        3         -",
        "1     2007  draining  2h 0m  10000   0          -        0         -",
        "-     2008  spare     3s     0       0          -        0         -",
        "",
      ].join("\n"),
    );
  });

  it("says worker for a pool of one and prints only the header when the pool is empty", () => {
    expect(formatStatus({ ...STATUS, workers: 1, pool: [] })).toBe(
      "master 1000 (node 20.20.2), up 3h 2m, 1 worker wanted\n" +
        "SLOT  PID  STATE  AGE  SERVED  IN-FLIGHT  RSS  RESTARTS  LAST EXIT\n",
    );
  });

  it("shows a retiring worker that is still booting as booting", () => {
    const table = formatStatus({ ...STATUS, pool: [worker({ retiring: true, state: "booting" })] });
    expect(table.split("\n")[2]).toBe("1     2000  booting  1m 5s  0       0          -    0         -");
  });
});

describe("formatDuration", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [999, "0s"],
    [1_000, "1s"],
    [42_000, "42s"],
    [59_999, "59s"],
    [60_000, "1m 0s"],
    [65_000, "1m 5s"],
    [3_599_999, "59m 59s"],
    [3_600_000, "1h 0m"],
    [(3 * 3600 + 2 * 60 + 5) * 1000, "3h 2m"],
    [25 * 3_600_000, "25h 0m"],
    [-5_000, "0s"],
  ];

  it.each(cases)("formats %i ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
