import { lstatSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { handOverLogFiles } from "./worker-accounts.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), "mgr-accounts-"));
  dirs.push(dir);
  return dir;
}

const isRoot = process.getuid?.() === 0;

describe("handOverLogFiles", () => {
  it("does nothing for the master's own account or the standard streams", () => {
    expect(handOverLogFiles(undefined, ["/nonexistent/log"])).toEqual([]);
    expect(handOverLogFiles({ uid: 1, gid: 1 }, ["-", null])).toEqual([]);
  });

  it.runIf(isRoot)("creates a missing log file and gives it to the account", () => {
    const path = join(scratch(), "access.log");
    expect(handOverLogFiles({ uid: 4321, gid: 4322 }, [path])).toEqual([]);
    expect(statSync(path)).toMatchObject({ uid: 4321, gid: 4322 });
  });

  it.runIf(isRoot)("never follows a symbolic link planted at a log's path to give away another file", () => {
    const dir = scratch();
    const precious = join(dir, "precious");
    writeFileSync(precious, "root's");
    const path = join(dir, "access.log");
    symlinkSync(precious, path);
    const problems = handOverLogFiles({ uid: 4321, gid: 4322 }, [path]);
    expect(statSync(precious).uid).toBe(0);
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
    expect(problems).toEqual([expect.stringMatching(/^Cannot give the log file .*access\.log to uid 4321: /)]);
  });
});
