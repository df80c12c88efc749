/**
 * A reload whose new code does not load (a broken save under `--reload`) is logged once, however many
 * workers of the new generation fail the same way: over the fake runtime and clock.
 */

import { describe, expect, it } from "vitest";
import { FakeClock } from "../../test/support/fake-clock.ts";
import { FakeRuntime } from "../../test/support/fake-runtime.ts";
import { DEFAULTS } from "./config.ts";
import { createLogger } from "./logger.ts";
import { createSupervisor } from "./supervisor.ts";

/** Lets promise reactions run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe("a reload to an app that no longer loads", () => {
  it("logs the error once and keeps the old workers, though every new worker failed with it", async () => {
    const clock = new FakeClock();
    const runtime = new FakeRuntime(clock);
    const lines: string[] = [];
    const logger = createLogger({ level: "info", pid: 1000, write: (l) => lines.push(l), clock });
    const sup = createSupervisor({ runtime, config: { ...DEFAULTS, app: "/srv/app.ts", workers: 2 }, logger, random: () => 0 });
    await sup.start();
    runtime.readyAll();
    sup.reload();
    await flush();
    expect(runtime.spawned).toHaveLength(4);
    const broken = { type: "boot-error", kind: "app-load", message: "SyntaxError: Expected ')'", stack: "SyntaxError: Expected ')'\n    at app.ts:1" } as const;
    // Both fail before the master has heard of either exit.
    runtime.worker(3).message(broken);
    runtime.worker(4).message(broken);
    runtime.worker(3).exit({ code: 4 });
    runtime.worker(4).exit({ code: 4 });

    expect(lines.filter((l) => l.includes("App failed to load"))).toHaveLength(1);
    expect(lines.filter((l) => l.includes("[WARNING]") || l.includes("Expected ')'") && !l.includes("App failed to load"))).toEqual([]);
    expect(lines.some((l) => l.includes("Reload abandoned: the app no longer loads; 2 worker(s) keep serving"))).toBe(true);
    expect(sup.workers().map((w) => [w.id, w.state, w.retiring])).toEqual([[1, "ready", false], [2, "ready", false]]);
  });
});
