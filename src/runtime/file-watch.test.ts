import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { watchTree, type WatchDirectory } from "./file-watch.ts";

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
