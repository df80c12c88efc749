import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { watchTree, type WatchDirectory } from "./file-watch.ts";
import { watchDirectoryWithNodeFs } from "./file-watch-node-fs.ts";

/** A directory watcher the test drives: it records what is watched and fires events on demand. */
function fakeWatcher() {
  const watched = new Map<string, (name: string | null) => void>();
  const watchDirectory: WatchDirectory = (directory, onEvent) => {
    watched.set(directory, onEvent);
    return () => watched.delete(directory);
  };
  return { watched, watchDirectory };
}

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "mgr-watch-"));
  mkdirSync(join(root, "src", "routes"), { recursive: true });
  mkdirSync(join(root, "node_modules", "hono"), { recursive: true });
  mkdirSync(join(root, ".git", "objects"), { recursive: true });
  writeFileSync(join(root, "app.ts"), "");
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const ignore = (path: string) => /\/(node_modules|\.git)(\/|$)/.test(path);

describe("watchTree", () => {
  it("watches every directory of the tree but the ignored ones, and never looks under those", () => {
    const { watched, watchDirectory } = fakeWatcher();
    watchTree([root], { ignore, onChange: () => {} }, watchDirectory);
    expect([...watched.keys()].sort()).toEqual([root, join(root, "src"), join(root, "src", "routes")]);
  });

  it("reports changed paths, and starts watching a directory that appears", () => {
    const { watched, watchDirectory } = fakeWatcher();
    const changes: string[] = [];
    watchTree([root], { ignore, onChange: (paths) => changes.push(...paths) }, watchDirectory);
    watched.get(root)!("app.ts");
    mkdirSync(join(root, "lib"));
    watched.get(root)!("lib");
    expect(changes).toEqual([join(root, "app.ts"), join(root, "lib")]);
    expect(watched.has(join(root, "lib"))).toBe(true);
  });

  it("watches a directory removed and made again anew, with what is under it", () => {
    const { watched, watchDirectory } = fakeWatcher();
    watchTree([root], { ignore, onChange: () => {} }, watchDirectory);
    const routes = join(root, "src", "routes");
    rmSync(join(root, "src"), { recursive: true });
    watched.get(root)!("src");
    expect(watched.has(join(root, "src"))).toBe(false);
    expect(watched.has(routes)).toBe(false);
    mkdirSync(routes, { recursive: true });
    watched.get(root)!("src");
    expect(watched.has(join(root, "src"))).toBe(true);
    expect(watched.has(routes)).toBe(true);
  });

  it("watches an extra file through its directory and reports only that file", () => {
    const other = mkdtempSync(join(tmpdir(), "mgr-watch-extra-"));
    try {
      const { watched, watchDirectory } = fakeWatcher();
      const changes: string[] = [];
      watchTree([join(other, "schema.sql")], { ignore, onChange: (paths) => changes.push(...paths) }, watchDirectory);
      watched.get(other)!("notes.txt");
      watched.get(other)!("schema.sql");
      expect(changes).toEqual([join(other, "schema.sql")]);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("stops every watcher when stopped", () => {
    const { watched, watchDirectory } = fakeWatcher();
    const stop = watchTree([root], { ignore, onChange: () => {} }, watchDirectory);
    stop();
    expect(watched.size).toBe(0);
  });
});

describe("watchTree over fs.watch, on a tree of 10,000 files", () => {
  it("starts in well under a second, costs no CPU while nothing changes, and reports a deep change", async () => {
    for (let d = 0; d < 100; d++) {
      const directory = join(root, "src", `module${d}`);
      mkdirSync(directory);
      for (let f = 0; f < 100; f++) writeFileSync(join(directory, `file${f}.ts`), "");
    }
    for (let f = 0; f < 200; f++) writeFileSync(join(root, "node_modules", "hono", `dep${f}.js`), "");
    const changes: string[] = [];
    const cpuBefore = process.cpuUsage();
    let watched = 0;
    const stop = watchTree([root], { ignore, onChange: (paths) => changes.push(...paths) }, (directory, onEvent, onError) => {
      watched++;
      return watchDirectoryWithNodeFs(directory, onEvent, onError);
    });
    try {
      const setup = process.cpuUsage(cpuBefore);
      // The root, src, src/routes and the 100 modules; nothing under node_modules or .git.
      expect(watched).toBe(103);
      expect((setup.user + setup.system) / 1000).toBeLessThan(1_000);

      const idleFrom = process.cpuUsage();
      const changed = join(root, "src", "module57", "file42.ts");
      writeFileSync(changed, "export {};\n");
      const deadline = Date.now() + 5_000;
      while (!changes.includes(changed) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(changes).toContain(changed);
      const idle = process.cpuUsage(idleFrom);
      // Waiting for the event polled a timer every 10 ms; watching itself costs nothing more.
      expect((idle.user + idle.system) / 1000).toBeLessThan(100);
    } finally {
      stop();
    }
    // Writing 10,000 files is what takes time here, on a busy disk.
  }, 30_000);
});
