import { describe, expect, it } from "vitest";
import { FakeClock } from "../../test/support/fake-clock.ts";
import { createLogger } from "../core/logger.ts";
import { watchNpmParent } from "./npm-parent.ts";

function setUp(env: Record<string, string | undefined>) {
  const clock = new FakeClock();
  const lines: string[] = [];
  let parent = 100;
  let stops = 0;
  const unwatch = watchNpmParent({
    env,
    parentPid: () => parent,
    clock,
    logger: createLogger({ level: "info", pid: 1, write: (line) => lines.push(line), clock }),
    stop: () => stops++,
  });
  return { clock, lines, unwatch, stops: () => stops, orphan: () => (parent = 1) };
}

describe("watchNpmParent", () => {
  it("stops the master once when the npx that started it is gone, and says how to run it instead", () => {
    const watch = setUp({ npm_command: "exec" });
    watch.clock.advance(5_000);
    expect(watch.stops()).toBe(0);
    watch.orphan();
    watch.clock.advance(1_000);
    expect(watch.stops()).toBe(1);
    expect(watch.lines.join("\n")).toMatch(/\[WARNING\] The npx that started this master has exited .*node_modules\/\.bin\/mgr/);
    watch.clock.advance(5_000);
    expect(watch.stops()).toBe(1);
  });

  it("names npm's command for npm start", () => {
    const watch = setUp({ npm_command: "start" });
    watch.orphan();
    watch.clock.advance(1_000);
    expect(watch.lines.join("\n")).toContain("The npm start that started this master");
  });

  it("leaves a master npm did not start alone, whose parent may come and go (nohup, a shell that exits)", () => {
    const watch = setUp({});
    watch.orphan();
    watch.clock.advance(5_000);
    expect(watch.stops()).toBe(0);
  });

  it("stops looking once unwatched", () => {
    const watch = setUp({ npm_command: "exec" });
    watch.unwatch();
    watch.orphan();
    watch.clock.advance(5_000);
    expect(watch.stops()).toBe(0);
  });
});
