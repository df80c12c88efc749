import { describe, expect, it } from "vitest";
import { FakeClock } from "../../test/support/fake-clock.ts";
import { createLogger } from "../core/logger.ts";
import { npxUpgradeWarning, PROC_TREE, type ProcessTree, watchNpmParent } from "./npm-parent.ts";

/** A process tree: each pid's parent and name; this process is 500. */
function fakeTree(parents: Record<number, number>, names: Record<number, string>) {
  const tree: ProcessTree = {
    ownParent: () => parents[500]!,
    parentOf: (pid) => parents[pid],
    nameOf: (pid) => names[pid],
  };
  return { tree, parents };
}

function setUp(env: Record<string, string | undefined>, parents: Record<number, number>, names: Record<number, string>) {
  const clock = new FakeClock();
  const lines: string[] = [];
  let stops = 0;
  const fake = fakeTree(parents, names);
  const unwatch = watchNpmParent({
    env,
    tree: fake.tree,
    clock,
    logger: createLogger({ level: "debug", pid: 1, write: (line) => lines.push(line), clock }),
    stop: () => stops++,
  });
  return { clock, lines, unwatch, stops: () => stops, parents: fake.parents };
}

// npx (300, "npm exec mgr …") runs `sh -c` (400), which runs the master (500); a shell (200) ran npx.
const NPX_TREE = { 500: 400, 400: 300, 300: 200 };
const NPX_NAMES = { 400: "sh", 300: "npm exec mgr ap", 200: "bash" };

describe("watchNpmParent", () => {
  it("stops the master once when a TERM ended npx and its shell, and says how to run it instead", () => {
    const watch = setUp({ npm_command: "exec" }, { ...NPX_TREE }, NPX_NAMES);
    watch.clock.advance(5_000);
    expect(watch.stops()).toBe(0);
    watch.parents[500] = 1;
    delete watch.parents[400];
    watch.clock.advance(1_000);
    expect(watch.stops()).toBe(1);
    expect(watch.lines.join("\n")).toMatch(/\[WARNING\] The npx that started this master has exited .*node_modules\/\.bin\/mgr/);
    watch.clock.advance(5_000);
    expect(watch.stops()).toBe(1);
  });

  it("stops the master when a KILL ended npx alone, leaving its shell behind", () => {
    const watch = setUp({ npm_command: "exec" }, { ...NPX_TREE }, NPX_NAMES);
    watch.parents[400] = 1;
    watch.clock.advance(1_000);
    expect(watch.stops()).toBe(1);
  });

  it("serves on when the shell that ran npx exits (nohup npx mgr … &, then logging out)", () => {
    const watch = setUp({ npm_command: "exec" }, { ...NPX_TREE }, NPX_NAMES);
    watch.parents[300] = 1;
    watch.clock.advance(5_000);
    expect(watch.stops()).toBe(0);
  });

  it("watches a master npx started without a shell between", () => {
    const watch = setUp({ npm_command: "exec" }, { 500: 300, 300: 200 }, NPX_NAMES);
    watch.parents[500] = 1;
    watch.clock.advance(1_000);
    expect(watch.stops()).toBe(1);
  });

  it("leaves alone a master an npm script started, which may have put it in the background on purpose", () => {
    const watch = setUp({ npm_command: "run-script" }, { ...NPX_TREE }, NPX_NAMES);
    watch.parents[500] = 1;
    watch.clock.advance(5_000);
    expect(watch.stops()).toBe(0);
  });

  it("leaves alone a master npm did not start, and one whose npx is not among its parents", () => {
    for (const [env, names] of [[{}, NPX_NAMES], [{ npm_command: "exec" }, { 400: "sh", 300: "node", 200: "bash" }]] as const) {
      const watch = setUp(env, { ...NPX_TREE }, names);
      watch.parents[500] = 1;
      watch.clock.advance(5_000);
      expect(watch.stops()).toBe(0);
    }
  });

  it("stops looking once unwatched", () => {
    const watch = setUp({ npm_command: "exec" }, { ...NPX_TREE }, NPX_NAMES);
    watch.unwatch();
    watch.parents[500] = 1;
    watch.clock.advance(5_000);
    expect(watch.stops()).toBe(0);
  });
});

describe("PROC_TREE", () => {
  it.runIf(process.platform === "linux")("reads this process's parent and name from /proc", () => {
    expect(PROC_TREE.parentOf(process.pid)).toBe(process.ppid);
    expect(PROC_TREE.nameOf(process.pid)).toBeTypeOf("string");
    expect(PROC_TREE.parentOf(2 ** 22 + 1)).toBeUndefined();
  });
});

describe("npxUpgradeWarning", () => {
  it("warns a USR2 of a master npx started, and only then", () => {
    expect(npxUpgradeWarning({ npm_command: "exec" })).toContain("the new master outlives npx");
    expect(npxUpgradeWarning({ npm_command: "start" })).toBeUndefined();
    expect(npxUpgradeWarning({})).toBeUndefined();
  });
});
