import { execFileSync } from "node:child_process";
import { constants, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { acquirePidfile, type AcquirePidfileOptions, PidfileError, processExists, readPid } from "./pidfile.ts";

// The real node:fs, with the calls an atomic write is made of recorded in order.
const fsCalls = vi.hoisted(() => [] as string[]);
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  return {
    ...fs,
    openSync: (...args: Parameters<typeof fs.openSync>) => {
      if (typeof args[1] === "number" && args[1] & fs.constants.O_CREAT) fsCalls.push(`create ${String(args[0])} flags ${args[1]}`);
      return fs.openSync(...args);
    },
    renameSync: (...args: Parameters<typeof fs.renameSync>) => {
      fsCalls.push(`rename ${String(args[0])} -> ${String(args[1])}`);
      return fs.renameSync(...args);
    },
  };
});

let dir: string;
let path: string;

beforeEach(() => {
  fsCalls.length = 0;
  dir = mkdtempSync(join(tmpdir(), "mgr-pidfile-"));
  path = join(dir, "mgr.pid");
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A liveness check that answers from a fixed set and records what it was asked. */
function alive(...pids: number[]): ((pid: number) => boolean) & { asked: number[] } {
  const asked: number[] = [];
  return Object.assign((pid: number) => (asked.push(pid), pids.includes(pid)), { asked });
}

/** Options with a fixed liveness check, fixed temporary names, every process a master, and warnings kept. */
function options(overrides: AcquirePidfileOptions = {}): AcquirePidfileOptions & { warnings: string[] } {
  const warnings: string[] = [];
  const names = ["first", "second", "third"];
  let next = 0;
  return {
    exists: alive(),
    isMaster: () => true,
    warn: (message) => warnings.push(message),
    randomName: () => names[next++ % names.length]!,
    ...overrides,
    warnings,
  };
}

describe("acquirePidfile", () => {
  it("writes our pid and a newline, leaving no temporary file behind", async () => {
    await acquirePidfile(path, 4242, options());
    expect(readFileSync(path, "utf8")).toBe("4242\n");
    expect(readdirSync(dir)).toEqual(["mgr.pid"]);
  });

  it("makes the pidfile readable by everyone (0644) whatever the umask, as Gunicorn does, for monitoring run as another user", async () => {
    const umask = process.umask(0o027);
    try {
      await acquirePidfile(path, 4242, options());
    } finally {
      process.umask(umask);
    }
    expect(statSync(path).mode & 0o777).toBe(0o644);
  });

  it("creates a temporary file exclusively, without following a link, and renames it into place", async () => {
    await acquirePidfile(path, 4242, options());
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    expect(fsCalls).toEqual([`create ${path}.first.tmp flags ${flags}`, `rename ${path}.first.tmp -> ${path}`]);
  });

  it("names its temporary files at random by default", async () => {
    await acquirePidfile(path, 4242, { ...options(), randomName: undefined });
    const created = fsCalls.map((call) => /^create .*\.([0-9a-f]+)\.tmp /.exec(call)?.[1]).filter(Boolean);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatch(/^[0-9a-f]{16}$/);
  });

  it("never writes through a symbolic link planted at a temporary name, and picks another name", async () => {
    const victim = join(dir, "victim");
    writeFileSync(victim, "precious\n");
    symlinkSync(victim, `${path}.first.tmp`);
    symlinkSync(victim, `${path}.4242.tmp`); // the name an earlier mgr used, guessable from the pid
    await acquirePidfile(path, 4242, options());
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    expect(readFileSync(path, "utf8")).toBe("4242\n");
    expect(lstatSync(path).isFile()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(["mgr.pid", "mgr.pid.4242.tmp", "mgr.pid.first.tmp", "victim"]);
  });

  it("replaces a symbolic link planted at the pidfile's own name without writing through it", async () => {
    const victim = join(dir, "victim");
    writeFileSync(victim, "precious\n");
    symlinkSync(victim, path);
    await acquirePidfile(path, 4242, options());
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    expect(lstatSync(path).isSymbolicLink()).toBe(false);
    expect(readFileSync(path, "utf8")).toBe("4242\n");
  });

  it("gives up with a PidfileError when every temporary name it tries is taken", async () => {
    for (const name of ["first", "second", "third"]) writeFileSync(`${path}.${name}.tmp`, "taken");
    await expect(acquirePidfile(path, 4242, options())).rejects.toThrow(
      `Cannot write pidfile ${path}: 8 temporary names beside it were taken`,
    );
    expect(existsSync(path)).toBe(false);
  });

  it("replaces a stale pidfile whose process is gone", async () => {
    writeFileSync(path, "999999\n");
    const exists = alive();
    await acquirePidfile(path, 4242, options({ exists }));
    expect(exists.asked).toEqual([999999]);
    expect(readFileSync(path, "utf8")).toBe("4242\n");
  });

  it("replaces a pidfile that holds no pid", async () => {
    writeFileSync(path, "not a pid\n");
    const exists = alive();
    await acquirePidfile(path, 4242, options({ exists }));
    expect(exists.asked).toEqual([]);
    expect(readFileSync(path, "utf8")).toBe("4242\n");
  });

  it("takes over a pidfile that already holds our own pid without asking whether it is alive", async () => {
    writeFileSync(path, "4242\n");
    const exists = alive(4242);
    await acquirePidfile(path, 4242, options({ exists }));
    expect(exists.asked).toEqual([]);
    expect(readFileSync(path, "utf8")).toBe("4242\n");
  });

  it("refuses a pidfile naming a live mgr master with a PidfileError naming the pid and the path", async () => {
    writeFileSync(path, "777\n");
    const asked: number[] = [];
    const error = await acquirePidfile(path, 4242, options({ exists: alive(777), isMaster: (pid) => (asked.push(pid), true) }))
      .then(() => undefined, (caught: unknown) => caught);
    expect(asked).toEqual([777]);
    expect(error).toBeInstanceOf(PidfileError);
    expect((error as Error).name).toBe("PidfileError");
    expect((error as Error).message).toBe(`Already running on PID 777 (pidfile ${path}). Stop it first`);
    expect(readFileSync(path, "utf8")).toBe("777\n");
  });

  it("takes over a pidfile naming a live process that is not an mgr master, with a warning", async () => {
    writeFileSync(path, "777\n");
    const opts = options({ exists: alive(777), isMaster: async () => false });
    await acquirePidfile(path, 4242, opts);
    expect(readFileSync(path, "utf8")).toBe("4242\n");
    expect(opts.warnings).toEqual([
      `Pidfile ${path} names PID 777, which is alive but not an mgr master; taking the pidfile over`,
    ]);
  });

  it("by default takes over a pidfile naming pid 1, which is alive and not an mgr master", async () => {
    writeFileSync(path, "1\n");
    const warnings: string[] = [];
    await acquirePidfile(path, 4242, { warn: (message) => warnings.push(message) });
    expect(readFileSync(path, "utf8")).toBe("4242\n");
    expect(warnings).toHaveLength(1);
  });

  it("raises a PidfileError naming the path when the file cannot be written", async () => {
    const missing = join(dir, "no-such-dir", "mgr.pid");
    await expect(acquirePidfile(missing, 4242, options())).rejects.toThrow(PidfileError);
    await expect(acquirePidfile(missing, 4242, options())).rejects.toThrow(`Cannot write pidfile ${missing}: ENOENT`);
  });

  describe("the release function", () => {
    it("removes the pidfile while it still holds our pid", async () => {
      const release = await acquirePidfile(path, 4242, options());
      release();
      expect(existsSync(path)).toBe(false);
    });

    it("leaves the pidfile of a newer master alone", async () => {
      const release = await acquirePidfile(path, 4242, options());
      writeFileSync(path, "5151\n");
      release();
      expect(readFileSync(path, "utf8")).toBe("5151\n");
    });

    it("does nothing when the pidfile is already gone", async () => {
      const release = await acquirePidfile(path, 4242, options());
      rmSync(path);
      expect(() => release()).not.toThrow();
      expect(existsSync(path)).toBe(false);
    });
  });
});

describe("readPid", () => {
  it("reads a pid surrounded by whitespace", () => {
    writeFileSync(path, "  31337 \n");
    expect(readPid(path)).toBe(31337);
  });

  it("returns undefined for a missing file, an empty one, or one without a positive pid", () => {
    expect(readPid(path)).toBeUndefined();
    for (const text of ["", "abc", "0", "-5", "12abc", "1".repeat(100)]) {
      writeFileSync(path, text);
      expect(readPid(path), JSON.stringify(text)).toBeUndefined();
    }
  });

  it("does not follow a symbolic link", () => {
    writeFileSync(join(dir, "target"), "31337\n");
    symlinkSync(join(dir, "target"), path);
    expect(readPid(path)).toBeUndefined();
  });

  it("returns at once, without a pid, for a FIFO planted to block the read", () => {
    execFileSync("mkfifo", [path]);
    expect(readPid(path)).toBeUndefined();
  });
});

describe("processExists", () => {
  it("is true for this process", () => {
    expect(processExists(process.pid)).toBe(true);
  });
});
