/**
 * What a USR2 starts, and where: the command as it was typed, and `$PWD` when it is the working directory.
 */

import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { masterCommand, masterDirectory } from "./master-command.ts";

describe("masterCommand", () => {
  const args = process.argv.slice(2);

  it("repeats the command line as it was typed, flags and relative paths included, with the binary by its path", () => {
    const typed = ["deno", "run", "--allow-net", "--config", "deno.json", "node_modules/.bin/mgr", ...args];
    expect(masterCommand("deno", typed)).toEqual([process.execPath, ...typed.slice(1)]);
  });

  it("falls back to the runtime's own record when the command line does not end with this process's arguments", () => {
    const [, entry, ...rest] = process.argv;
    expect(masterCommand("node", ["mgr: master"])).toEqual([process.execPath, ...process.execArgv, entry, ...rest]);
    expect(masterCommand("deno", [])).toEqual([process.execPath, "run", "-A", entry, ...rest]);
  });
});

describe("masterDirectory", () => {
  let dir: string;
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), "mgr-upgrade-dir-")));
    mkdirSync(join(dir, "releases", "1"), { recursive: true });
    symlinkSync(join(dir, "releases", "1"), join(dir, "current"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps the symlink $PWD names when it leads to the working directory", () => {
    expect(masterDirectory({ PWD: join(dir, "current") }, join(dir, "releases", "1"))).toBe(join(dir, "current"));
  });

  it("takes the working directory when $PWD is unset, relative, or names another directory", () => {
    const cwd = join(dir, "releases", "1");
    expect(masterDirectory({}, cwd)).toBe(cwd);
    expect(masterDirectory({ PWD: "current" }, cwd)).toBe(cwd);
    expect(masterDirectory({ PWD: dir }, cwd)).toBe(cwd);
    expect(masterDirectory({ PWD: join(dir, "gone") }, cwd)).toBe(cwd);
  });
});
