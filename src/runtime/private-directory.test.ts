import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  checkChosenDirectory,
  checkOwnSocket,
  checkPrivateDirectory,
  ensurePrivateDirectory,
  formatMode,
  UnsafePathError,
} from "./private-directory.ts";

// These tests run as root (the sandbox's user) or as anyone: "another user" is simulated by asking
// on behalf of a uid that owns nothing here, and "root" by the uid that does.
const ME = process.getuid!();
const SOMEONE_ELSE = ME + 4242;

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "mgr-private-"));
  chmodSync(base, 0o755);
});
afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

function thrown(fn: () => void): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("ensurePrivateDirectory", () => {
  it("creates the directory with mode 0700", () => {
    const dir = join(base, "mgr-1");
    ensurePrivateDirectory(dir, ME);
    expect(formatMode(statSync(dir).mode)).toBe("0700");
  });

  it("accepts an existing directory of ours that others cannot write", () => {
    const dir = join(base, "mgr-1");
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    expect(() => ensurePrivateDirectory(dir, ME)).not.toThrow();
  });

  it("refuses a pre-created directory writable by everyone", () => {
    const dir = join(base, "mgr-1");
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const error = thrown(() => ensurePrivateDirectory(dir, ME));
    expect(error).toBeInstanceOf(UnsafePathError);
    expect((error as Error).message).toBe(`${dir} is writable by other users (mode 0777)`);
  });

  it("refuses a group-writable directory, even a sticky one", () => {
    const dir = join(base, "mgr-1");
    mkdirSync(dir);
    chmodSync(dir, 0o1770);
    expect(() => checkPrivateDirectory(dir, ME)).toThrow(`${dir} is writable by other users (mode 1770)`);
  });

  it("refuses a directory that belongs to another user", () => {
    const dir = join(base, "mgr-1");
    mkdirSync(dir, { mode: 0o700 });
    expect(() => ensurePrivateDirectory(dir, SOMEONE_ELSE)).toThrow(`${dir} belongs to uid ${ME}, not to uid ${SOMEONE_ELSE}`);
  });

  it("refuses a symbolic link, even to a good directory", () => {
    const real = join(base, "real");
    mkdirSync(real, { mode: 0o700 });
    const link = join(base, "mgr-1");
    symlinkSync(real, link);
    expect(() => ensurePrivateDirectory(link, ME)).toThrow(`${link} is a symbolic link`);
  });

  it("refuses a file in the directory's place", () => {
    const file = join(base, "mgr-1");
    writeFileSync(file, "");
    expect(() => ensurePrivateDirectory(file, ME)).toThrow(`${file} is not a directory`);
  });

  it("refuses a good directory inside one that others can write and is not sticky", () => {
    chmodSync(base, 0o777);
    const dir = join(base, "mgr-1");
    expect(() => ensurePrivateDirectory(dir, ME)).toThrow(`${base} is writable by other users and not sticky (mode 0777)`);
  });
});

describe("checkChosenDirectory", () => {
  it("accepts a sticky directory everyone can write, as /tmp is", () => {
    chmodSync(base, 0o1777);
    expect(() => checkChosenDirectory(base, ME)).not.toThrow();
  });

  it("accepts a directory reached through a symbolic link, judged by where it leads", () => {
    const real = join(base, "real");
    mkdirSync(real, { mode: 0o755 });
    symlinkSync(real, join(base, "link"));
    expect(() => checkChosenDirectory(join(base, "link"), ME)).not.toThrow();
  });

  it("refuses a directory others can write that is not sticky, naming it and its mode", () => {
    const run = join(base, "run");
    mkdirSync(run);
    chmodSync(run, 0o775);
    symlinkSync(run, join(base, "link"));
    expect(() => checkChosenDirectory(join(base, "link"), ME)).toThrow(`${run} is writable by other users and not sticky (mode 0775)`);
  });

  it("refuses a directory above the chosen one that others can write", () => {
    chmodSync(base, 0o777);
    const run = join(base, "run");
    mkdirSync(run, { mode: 0o700 });
    expect(() => checkChosenDirectory(run, ME)).toThrow(`${base} is writable by other users and not sticky`);
  });

  it.runIf(ME === 0)("refuses a directory that belongs to a user who is neither us nor root", () => {
    const run = join(base, "run");
    mkdirSync(run, { mode: 0o755 });
    chownSync(run, SOMEONE_ELSE, SOMEONE_ELSE);
    expect(() => checkChosenDirectory(run, ME)).toThrow(`${run} belongs to uid ${SOMEONE_ELSE}, neither to uid ${ME} nor to root`);
  });

  it("throws the file system's own error for a directory that does not exist", () => {
    expect(() => checkChosenDirectory(join(base, "missing"), ME)).toThrow(/ENOENT/);
  });
});

describe("checkOwnSocket", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function listen(path: string): Promise<void> {
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(path, resolve));
  }

  it("accepts our own socket", async () => {
    await listen(join(base, "s.sock"));
    expect(() => checkOwnSocket(join(base, "s.sock"), ME)).not.toThrow();
  });

  it("refuses a socket that belongs to another user: it could be a fake master", async () => {
    await listen(join(base, "s.sock"));
    const error = thrown(() => checkOwnSocket(join(base, "s.sock"), SOMEONE_ELSE));
    expect(error).toBeInstanceOf(UnsafePathError);
    expect((error as UnsafePathError).reason).toBe(`belongs to uid ${ME}, not to you (uid ${SOMEONE_ELSE})`);
  });

  it("refuses a symbolic link to a socket, and a file that is not a socket", async () => {
    await listen(join(base, "s.sock"));
    symlinkSync(join(base, "s.sock"), join(base, "link.sock"));
    writeFileSync(join(base, "file.sock"), "");
    expect(() => checkOwnSocket(join(base, "link.sock"), ME)).toThrow("is a symbolic link, not a socket");
    expect(() => checkOwnSocket(join(base, "file.sock"), ME)).toThrow("is not a socket");
  });

  it("throws ENOENT as is for a socket that is not there", () => {
    expect(() => checkOwnSocket(join(base, "none.sock"), ME)).toThrow(expect.objectContaining({ code: "ENOENT" }));
  });
});
