import { describe, expect, it } from "vitest";
import { decideBalancing } from "./platform-balance.ts";

describe("decideBalancing", () => {
  it("says nothing on Linux, whatever the runtime", () => {
    for (const runtime of ["node", "bun", "deno"] as const) expect(decideBalancing(runtime, "linux", 4)).toBeUndefined();
  });

  it("says nothing for Node on macOS and the BSDs: its workers share the master's socket", () => {
    expect(decideBalancing("node", "darwin", 4)).toBeUndefined();
    expect(decideBalancing("node", "freebsd", 4)).toBeUndefined();
  });

  it("points Node on Windows to round-robin", () => {
    expect(decideBalancing("node", "win32", 4)).toMatchObject({ level: "info", message: expect.stringContaining("NODE_CLUSTER_SCHED_POLICY=rr") });
  });

  it("warns that Bun and Deno pools do not balance on macOS and FreeBSD, keeping the pool size", () => {
    for (const os of ["darwin", "freebsd", "openbsd"]) {
      const decision = decideBalancing("bun", os, 4)!;
      expect(decision.level).toBe("warning");
      expect(decision.message).toContain(`On ${os} SO_REUSEPORT does not spread connections`);
      expect(decision.workers).toBeUndefined();
    }
    expect(decideBalancing("deno", "darwin", 2)?.level).toBe("warning");
  });

  it("says nothing for a single Bun or Deno worker off Linux: there is nothing to spread", () => {
    expect(decideBalancing("deno", "darwin", 1)).toBeUndefined();
    expect(decideBalancing("bun", "win32", 1)).toBeUndefined();
  });

  it("runs one Bun or Deno worker on Windows, where two cannot listen on one port", () => {
    expect(decideBalancing("deno", "win32", 4)).toMatchObject({ level: "warning", workers: 1 });
  });

  it("says nothing when the runtime does not say which OS it is on", () => {
    expect(decideBalancing("bun", undefined, 4)).toBeUndefined();
  });
});
