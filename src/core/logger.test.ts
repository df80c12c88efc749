import { describe, expect, it } from "vitest";
import { FakeClock } from "../../test/support/fake-clock.ts";
import { createLogger, formatTimestamp } from "./logger.ts";
import type { LogLevel } from "./protocol.ts";

/** The zone as the logger prints it, e.g. `+0000`, `-0330`, for local time at `ms`. */
function zoneAt(ms: number): string {
  const offset = -new Date(ms).getTimezoneOffset();
  const abs = Math.abs(offset);
  return `${offset >= 0 ? "+" : "-"}${String(Math.floor(abs / 60)).padStart(2, "0")}${String(abs % 60).padStart(2, "0")}`;
}

describe("formatTimestamp", () => {
  it("formats local time as YYYY-MM-DD HH:MM:SS +ZZZZ, zero-padded", () => {
    const ms = new Date(2026, 0, 2, 3, 4, 5, 678).getTime();
    expect(formatTimestamp(ms)).toBe(`2026-01-02 03:04:05 ${zoneAt(ms)}`);
  });

  it("prints two-digit fields as they are", () => {
    const ms = new Date(2026, 10, 26, 17, 40, 59).getTime();
    expect(formatTimestamp(ms)).toBe(`2026-11-26 17:40:59 ${zoneAt(ms)}`);
    expect(formatTimestamp(ms)).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}$/);
  });
});

describe("createLogger", () => {
  it("writes Gunicorn's line format with the time from the clock and the pid", () => {
    const clock = new FakeClock();
    const lines: string[] = [];
    const log = createLogger({ level: "debug", pid: 1234, write: (l) => lines.push(l), clock });
    log.info("Booting worker with pid: 1235");
    clock.advance(61_000);
    log.critical("WORKER TIMEOUT (pid:1235)");
    expect(lines).toEqual([
      `[${formatTimestamp(Date.UTC(2026, 0, 1))}] [1234] [INFO] Booting worker with pid: 1235`,
      `[${formatTimestamp(Date.UTC(2026, 0, 1, 0, 1, 1))}] [1234] [CRITICAL] WORKER TIMEOUT (pid:1235)`,
    ]);
  });

  it("names each level in capitals", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "debug", pid: 1, write: (l) => lines.push(l), clock: new FakeClock() });
    log.debug("d");
    log.info("i");
    log.warning("w");
    log.error("e");
    log.critical("c");
    expect(lines.map((l) => l.replace(/^\[[^\]]+\] \[1\] /, ""))).toEqual([
      "[DEBUG] d",
      "[INFO] i",
      "[WARNING] w",
      "[ERROR] e",
      "[CRITICAL] c",
    ]);
  });

  it.each<[LogLevel, string[]]>([
    ["debug", ["debug", "info", "warning", "error", "critical"]],
    ["info", ["info", "warning", "error", "critical"]],
    ["warning", ["warning", "error", "critical"]],
    ["error", ["error", "critical"]],
    ["critical", ["critical"]],
  ])("at level %s writes only %j", (level, expected) => {
    const lines: string[] = [];
    const log = createLogger({ level, pid: 1, write: (l) => lines.push(l), clock: new FakeClock() });
    for (const name of ["debug", "info", "warning", "error", "critical"] as const) log[name](name);
    expect(lines.map((l) => l.split(" ").at(-1))).toEqual(expected);
  });

  it("writes the message as given, without a trailing newline", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "info", pid: 7, write: (l) => lines.push(l), clock: new FakeClock() });
    log.error("App failed to load: Error: boom\n    at app.ts:1:1");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/\] \[7\] \[ERROR\] App failed to load: Error: boom\n {4}at app\.ts:1:1$/);
  });
});
