import { describe, expect, it } from "vitest";
import { isLoopbackAddress, parseBind, validateValue } from "../core/config.ts";
import { parseCommandLine } from "./args.ts";
import { adminAddress } from "./admin-server.ts";
import { UsageError } from "./usage-error.ts";

describe("adminAddress", () => {
  it("is null when no admin endpoint is asked for", () => {
    expect(adminAddress({ adminBind: null, adminToken: null })).toBeNull();
  });

  it("serves loopback and unix sockets without a token", () => {
    expect(adminAddress({ adminBind: "127.0.0.1:9090", adminToken: null })).toEqual({ host: "127.0.0.1", port: 9090 });
    expect(adminAddress({ adminBind: "[::1]:9090", adminToken: null })).toEqual({ host: "::1", port: 9090 });
    expect(adminAddress({ adminBind: "unix:/run/app/admin.sock", adminToken: null })).toEqual({ path: "/run/app/admin.sock" });
  });

  it("refuses any other address without a token, and serves it with one", () => {
    expect(() => adminAddress({ adminBind: "0.0.0.0:9090", adminToken: null })).toThrow(UsageError);
    expect(() => adminAddress({ adminBind: "10.0.0.5:9090", adminToken: null })).toThrow(/without a token: set --admin-token/);
    expect(adminAddress({ adminBind: "0.0.0.0:9090", adminToken: "a-long-enough-token" })).toEqual({ host: "0.0.0.0", port: 9090 });
  });
});

describe("isLoopbackAddress", () => {
  it("knows 127.0.0.0/8, ::1, localhost and unix sockets", () => {
    for (const text of ["127.0.0.1:1", "127.9.9.9:1", "[::1]:1", "localhost:1", "unix:/x"]) expect(isLoopbackAddress(parseBind(text))).toBe(true);
    for (const text of ["0.0.0.0:1", "[::]:1", "192.168.1.2:1", "127.example.com:1"]) expect(isLoopbackAddress(parseBind(text))).toBe(false);
  });
});

describe("the admin and max-rss settings", () => {
  it("validates them with the key and the value", () => {
    expect(validateValue("maxRss", "512")).toBe(512);
    expect(() => validateValue("maxRss", "-1")).toThrow("`maxRss` must be an integer >= 0");
    expect(validateValue("adminBind", "127.0.0.1:9090")).toBe("127.0.0.1:9090");
    expect(() => validateValue("adminBind", "nowhere:port")).toThrow("`adminBind`");
    expect(() => validateValue("adminToken", "short")).toThrow("a token of at least 16 characters without spaces");
    expect(() => validateValue("adminToken", "has a space in it somewhere")).toThrow("`adminToken`");
  });

  it("reads --json only with status", () => {
    expect(parseCommandLine(["status", "--json"])).toMatchObject({ command: "status", json: true });
    expect(parseCommandLine(["top"])).toMatchObject({ command: "top", json: false });
    expect(() => parseCommandLine(["app.ts", "--json"])).toThrow("--json goes with `mgr status`");
  });
});

describe("print-config", () => {
  it("shows that a token is set, never the token", async () => {
    const { formatConfig } = await import("./print-config.ts");
    const { DEFAULTS } = await import("../core/config.ts");
    const config = { ...DEFAULTS, app: "app.ts", workers: 1, adminBind: "127.0.0.1:9090", adminToken: "a-secret-token-0123456789" };
    const text = formatConfig({ config, sources: {} } as never);
    expect(text).toMatch(/^adminToken\s+\(set\)/m);
    expect(text).toMatch(/^adminBind\s+127\.0\.0\.1:9090/m);
    expect(text).not.toContain("a-secret-token");
  });
});

describe("startAdminServer", () => {
  it("removes a socket a killed master left behind before it listens", async () => {
    const { mkdtempSync, existsSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { startAdminServer } = await import("./admin-server.ts");
    const { PoolCounters } = await import("../core/pool-counters.ts");
    const { createLogger } = await import("../core/logger.ts");
    const dir = mkdtempSync(join(tmpdir(), "mgr-admin-test-"));
    const path = join(dir, "admin.sock");
    try {
      // A socket file with nobody listening: what a master that exits without closing leaves.
      const { spawnSync } = await import("node:child_process");
      spawnSync(process.execPath, ["-e", `require("node:net").createServer().listen(${JSON.stringify(path)}, () => process.exit(0))`]);
      expect(existsSync(path)).toBe(true);
      const listened: string[] = [];
      const runtime = {
        name: "node",
        serveHttp: async (address: { path: string }) => {
          listened.push(existsSync(address.path) ? "still there" : "removed");
          return { close: async () => {} };
        },
      };
      const options = { status: () => { throw new Error("unused"); }, counters: new PoolCounters(() => 0), reload() {}, scale() {}, token: null };
      const log = createLogger({ level: "critical", pid: 1, write: () => {} });
      const close = await startAdminServer(runtime as never, { path }, options, log);
      await close();
      expect(listened).toEqual(["removed"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("takeOverAdminServer", () => {
  async function setUp(failures: unknown[]) {
    const { takeOverAdminServer } = await import("./admin-server.ts");
    const { FakeClock } = await import("../../test/support/fake-clock.ts");
    const { createLogger } = await import("../core/logger.ts");
    const clock = new FakeClock();
    const lines: string[] = [];
    const log = createLogger({ level: "info", pid: 1, write: (line) => lines.push(line), clock });
    let attempts = 0;
    let closed = 0;
    const start = () => {
      attempts++;
      const failure = failures.shift();
      return failure === undefined ? Promise.resolve(async () => void closed++) : Promise.reject(failure);
    };
    const stop = takeOverAdminServer(start, { clock } as never, log);
    // Lets the attempt's promise settle, then runs the timers that are due.
    const turn = async (ms: number) => {
      for (let i = 0; i < 5; i++) await Promise.resolve();
      clock.advance(ms);
    };
    return { stop, turn, lines, attempts: () => attempts, closed: () => closed };
  }

  it("tries again while the old master still holds the address, then serves", async () => {
    const inUse = Object.assign(new Error("listen EADDRINUSE: address already in use 127.0.0.1:9090"), { code: "EADDRINUSE" });
    const denoInUse = new Error("Cannot serve the admin endpoint at 127.0.0.1:9090: Address already in use (os error 98)", {
      cause: Object.assign(new Error("Address already in use (os error 98)"), { name: "AddrInUse", code: "EADDRINUSE" }),
    });
    const take = await setUp([inUse, denoInUse]);
    await take.turn(500);
    await take.turn(500);
    await take.turn(500);
    expect(take.attempts()).toBe(3);
    expect(take.lines.filter((line) => line.includes("waiting for the old master"))).toHaveLength(1);
    await take.stop();
    expect(take.closed()).toBe(1);
  });

  it("gives up with an error on anything but an address in use, which waiting does not mend", async () => {
    const denied = new Error("Cannot serve the admin endpoint at 127.0.0.1:80: listen EACCES: permission denied 127.0.0.1:80", {
      cause: Object.assign(new Error("listen EACCES: permission denied 127.0.0.1:80"), { code: "EACCES" }),
    });
    const take = await setUp([denied]);
    for (let i = 0; i < 4; i++) await take.turn(500);
    expect(take.attempts()).toBe(1);
    expect(take.lines.join("\n")).toMatch(/\[ERROR\] Cannot serve the admin endpoint at 127\.0\.0\.1:80: .*permission denied/);
    await take.stop();
  });
});
