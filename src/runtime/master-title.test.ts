import { describe, expect, it } from "vitest";
import { hasMasterTitle, MASTER_TITLE, masterTitle } from "./master-title.ts";

/** A /proc that holds `files`; reading anything else fails as a missing file does. */
function proc(files: Record<string, string>): (path: string) => string {
  return (path) => {
    if (path in files) return files[path]!;
    throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
  };
}

describe("masterTitle", () => {
  it("is the master's title, with the name in brackets when there is one", () => {
    expect(masterTitle(null)).toBe("mgr: master");
    expect(masterTitle("api")).toBe("mgr: master [api]");
    expect(MASTER_TITLE.length).toBeLessThanOrEqual(15); // what /proc/PID/comm keeps
  });
});

describe("hasMasterTitle", () => {
  it("recognises the title in comm, cut to 15 bytes as Linux cuts it (Node, Deno)", () => {
    expect(hasMasterTitle(7, proc({ "/proc/7/comm": "mgr: master [ap\n" }))).toBe(true);
  });

  it("recognises the title in cmdline when comm does not show it", () => {
    expect(hasMasterTitle(7, proc({ "/proc/7/comm": "node\n", "/proc/7/cmdline": "mgr: master [api]\0\0\0" }))).toBe(true);
  });

  it("does not take a process whose arguments merely mention the title for a master", () => {
    expect(hasMasterTitle(7, proc({ "/proc/7/comm": "grep\n", "/proc/7/cmdline": "grep\0mgr: master\0" }))).toBe(false);
  });

  it("is false for a worker, and for a Bun master, whose title /proc does not show", () => {
    expect(hasMasterTitle(7, proc({ "/proc/7/comm": "mgr: worker\n", "/proc/7/cmdline": "mgr: worker\0" }))).toBe(false);
    expect(hasMasterTitle(7, proc({ "/proc/7/comm": "bun\n", "/proc/7/cmdline": "bun\0dist/src/cli/bin.js\0" }))).toBe(false);
  });

  it("is false when /proc cannot tell", () => {
    expect(hasMasterTitle(7, proc({}))).toBe(false);
  });

  it("is false for pid 1 and for this test process, read from the real /proc", () => {
    expect(hasMasterTitle(1)).toBe(false);
    expect(hasMasterTitle(process.pid)).toBe(false);
  });
});
