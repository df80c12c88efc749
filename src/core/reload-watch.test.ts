import { describe, expect, it } from "vitest";
import { FakeClock } from "../../test/support/fake-clock.ts";
import { describeChanged, RELOAD_DEBOUNCE_MS, ReloadWatch } from "./reload-watch.ts";

function setup() {
  const clock = new FakeClock();
  const reloads: string[][] = [];
  const logs: string[] = [];
  const watch = new ReloadWatch({ clock, reload: (changed) => reloads.push(changed), log: (m) => logs.push(m) });
  return { clock, reloads, logs, watch };
}

describe("ReloadWatch", () => {
  it("reloads once a burst of changes has been quiet for the debounce time", () => {
    const { clock, reloads, logs, watch } = setup();
    watch.changed(["app.ts"]);
    clock.advance(RELOAD_DEBOUNCE_MS - 1);
    watch.changed(["app.ts", "lib.ts"]);
    clock.advance(RELOAD_DEBOUNCE_MS - 1);
    expect(reloads).toEqual([]);
    clock.advance(1);
    expect(reloads).toEqual([["app.ts", "lib.ts"]]);
    expect(logs).toEqual(["Reloading: app.ts, lib.ts changed"]);
  });

  it("holds a change made during a reload until that reload is over, then reloads once", () => {
    const { clock, reloads, watch } = setup();
    watch.changed(["app.ts"]);
    clock.advance(RELOAD_DEBOUNCE_MS);
    watch.onLifecycle({ type: "reloading" });
    watch.changed(["a.ts"]);
    watch.changed(["b.ts"]);
    clock.advance(10 * RELOAD_DEBOUNCE_MS);
    expect(reloads).toHaveLength(1);
    watch.onLifecycle({ type: "reloaded", workers: 2 });
    expect(reloads).toEqual([["app.ts"], ["a.ts", "b.ts"]]);
  });

  it("waits for a reload started by SIGHUP too", () => {
    const { clock, reloads, watch } = setup();
    watch.onLifecycle({ type: "reloading" });
    watch.changed(["app.ts"]);
    clock.advance(RELOAD_DEBOUNCE_MS);
    expect(reloads).toEqual([]);
    watch.onLifecycle({ type: "reloaded", workers: 1 });
    expect(reloads).toEqual([["app.ts"]]);
  });

  it("does nothing once the master stops", () => {
    const { clock, reloads, watch } = setup();
    watch.changed(["app.ts"]);
    watch.onLifecycle({ type: "stopping" });
    clock.advance(RELOAD_DEBOUNCE_MS);
    watch.changed(["app.ts"]);
    clock.advance(RELOAD_DEBOUNCE_MS);
    expect(reloads).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});

describe("describeChanged", () => {
  it("names three paths and counts the rest", () => {
    expect(describeChanged(["a", "b"])).toBe("a, b");
    expect(describeChanged(["a", "b", "c", "d", "e"])).toBe("a, b, c and 2 more");
  });
});
