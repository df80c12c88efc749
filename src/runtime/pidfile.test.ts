import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { acquirePidfile, PidfileError, processExists, readPid } from "./pidfile.ts";

// The real node:fs, with the two calls an atomic write is made of recorded in order.
const fsCalls = vi.hoisted(() => [] as string[]);
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  return {
    ...fs,
    writeFileSync: (...args: Parameters<typeof fs.writeFileSync>) => {
      fsCalls.push(`write ${String(args[0])}`);
      return fs.writeFileSync(...args);
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

describe("acquirePidfile", () => {
  it("writes our pid and a newline, leaving no temporary file behind", () => {
    acquirePidfile(path, 4242, alive());
    expect(readFileSync(path, "utf8")).toBe("4242\n");
    expect(readdirSync(dir)).toEqual(["mgr.pid"]);
  });

  it("writes through a temporary file renamed into place, so a reader never sees half a file", () => {
    acquirePidfile(path, 4242, alive());
    expect(fsCalls).toEqual([`write ${path}.4242.tmp`, `rename ${path}.4242.tmp -> ${path}`]);
  });

  it("replaces a temporary file left by an earlier attempt", () => {
    writeFileSync(`${path}.4242.tmp`, "garbage");
    acquirePidfile(path, 4242, alive());
    expect(readFileSync(path, "utf8")).toBe("4242\n");
    expect(readdirSync(dir)).toEqual(["mgr.pid"]);
  });

  it("replaces a stale pidfile whose process is gone", () => {
    writeFileSync(path, "999999\n");
    const exists = alive();
    acquirePidfile(path, 4242, exists);
    expect(exists.asked).toEqual([999999]);
    expect(readFileSync(path, "utf8")).toBe("4242\n");
  });

  it("replaces a pidfile that holds no pid", () => {
    writeFileSync(path, "not a pid\n");
    const exists = alive();
    acquirePidfile(path, 4242, exists);
    expect(exists.asked).toEqual([]);
    expect(readFileSync(path, "utf8")).toBe("4242\n");
  });

  it("takes over a pidfile that already holds our own pid without asking whether it is alive", () => {
    writeFileSync(path, "4242\n");
    const exists = alive(4242);
    acquirePidfile(path, 4242, exists);
    expect(exists.asked).toEqual([]);
    expect(readFileSync(path, "utf8")).toBe("4242\n");
  });

  it("refuses a pidfile naming a live process with a PidfileError naming the pid and the path", () => {
    writeFileSync(path, "777\n");
    let error: unknown;
    try {
      acquirePidfile(path, 4242, alive(777));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PidfileError);
    expect((error as Error).name).toBe("PidfileError");
    expect((error as Error).message).toBe(
      `Already running on PID 777 (pidfile ${path}). Stop it first, or remove the pidfile if that process is not mgr`,
    );
    expect(readFileSync(path, "utf8")).toBe("777\n");
  });

  it("raises a PidfileError naming the path when the file cannot be written", () => {
    const missing = join(dir, "no-such-dir", "mgr.pid");
    expect(() => acquirePidfile(missing, 4242, alive())).toThrow(PidfileError);
    expect(() => acquirePidfile(missing, 4242, alive())).toThrow(`Cannot write pidfile ${missing}: ENOENT`);
  });

  describe("the release function", () => {
    it("removes the pidfile while it still holds our pid", () => {
      const release = acquirePidfile(path, 4242, alive());
      release();
      expect(existsSync(path)).toBe(false);
    });

    it("leaves the pidfile of a newer master alone", () => {
      const release = acquirePidfile(path, 4242, alive());
      writeFileSync(path, "5151\n");
      release();
      expect(readFileSync(path, "utf8")).toBe("5151\n");
    });

    it("does nothing when the pidfile is already gone", () => {
      const release = acquirePidfile(path, 4242, alive());
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
    for (const text of ["", "abc", "0", "-5"]) {
      writeFileSync(path, text);
      expect(readPid(path), JSON.stringify(text)).toBeUndefined();
    }
  });
});

describe("processExists", () => {
  it("is true for this process", () => {
    expect(processExists(process.pid)).toBe(true);
  });
});
