import { describe, expect, it } from "vitest";
import { prepareReusePort, type SysctlFiles, TCP_MIGRATE_REQ } from "./reuse-port.ts";

function files(initial: string | undefined, { writable = true, linux = true } = {}) {
  const writes: [string, string][] = [];
  const fake: SysctlFiles = {
    read: (path) => {
      if (path !== TCP_MIGRATE_REQ || initial === undefined) throw new Error("ENOENT");
      return `${initial}\n`;
    },
    write: (path, value) => {
      if (!writable) throw new Error("EACCES");
      writes.push([path, value]);
    },
    isLinux: () => linux,
  };
  return { fake, writes };
}

describe("prepareReusePort", () => {
  it("says nothing and writes nothing when the setting is already on", () => {
    const { fake, writes } = files("1");
    expect(prepareReusePort(fake)).toEqual([]);
    expect(writes).toEqual([]);
  });

  it("turns the setting on where permitted and says so", () => {
    const { fake, writes } = files("0");
    const notes = prepareReusePort(fake);
    expect(writes).toEqual([[TCP_MIGRATE_REQ, "1"]]);
    expect(notes).toHaveLength(1);
    expect(notes[0]!.level).toBe("info");
    expect(notes[0]!.message).toContain("tcp_migrate_req=1");
  });

  it("warns with the fix when it may not write the setting", () => {
    const { fake } = files("0", { writable: false });
    const notes = prepareReusePort(fake);
    expect(notes).toHaveLength(1);
    expect(notes[0]!.level).toBe("warning");
    expect(notes[0]!.message).toContain("sysctl -w net.ipv4.tcp_migrate_req=1");
  });

  it("warns that the kernel is too old when Linux lacks the setting", () => {
    const notes = prepareReusePort(files(undefined).fake);
    expect(notes.map((n) => n.level)).toEqual(["warning"]);
    expect(notes[0]!.message).toContain("Linux 5.14+");
  });

  it("says nothing off Linux", () => {
    expect(prepareReusePort(files(undefined, { linux: false }).fake)).toEqual([]);
  });
});
