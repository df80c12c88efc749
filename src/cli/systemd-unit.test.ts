import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatSystemdUnit, STOP_TIMEOUT_MARGIN_S } from "./systemd-unit.ts";

/** The `[Service]` keys of `unit`, the ones not commented out. */
function serviceKeys(unit: string): Record<string, string> {
  const service = unit.split("[Service]")[1]!.split("[Install]")[0]!;
  return Object.fromEntries(
    service.split("\n").filter((line) => /^\w+=/.test(line)).map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

const unit = (gracefulTimeout: number, execStart = [process.execPath, "/srv/app/node_modules/mgr/dist/src/cli/bin.js", "app.ts"]) =>
  formatSystemdUnit({ execStart, workingDirectory: "/srv/app", config: { gracefulTimeout, name: "fasterapi" }, generatedBy: "mgr systemd app.ts" });

describe("formatSystemdUnit", () => {
  it("writes the unit Gunicorn users deploy: Type=notify, HUP to reload, KillMode=mixed, and NotifyAccess=all", () => {
    expect(serviceKeys(unit(30))).toEqual({
      Type: "notify",
      NotifyAccess: "all",
      WorkingDirectory: "/srv/app",
      ExecStart: `${process.execPath} /srv/app/node_modules/mgr/dist/src/cli/bin.js app.ts`,
      ExecReload: "/bin/kill -s HUP $MAINPID",
      KillMode: "mixed",
      TimeoutStopSec: String(30 + STOP_TIMEOUT_MARGIN_S),
      Restart: "on-failure",
    });
  });

  it("gives systemd's stop timeout a margin above --graceful-timeout, rounded up", () => {
    expect(serviceKeys(unit(0.5)).TimeoutStopSec).toBe(String(1 + STOP_TIMEOUT_MARGIN_S));
    expect(Number(serviceKeys(unit(120)).TimeoutStopSec)).toBeGreaterThan(120);
  });

  it("quotes arguments with spaces and doubles % and $, which systemd would expand", () => {
    const keys = serviceKeys(unit(30, ["/usr/bin/node", "/opt/my app/bin.js", "--access-log-format", '%(h)s "%(r)s" $x']));
    expect(keys.ExecStart).toBe('/usr/bin/node "/opt/my app/bin.js" --access-log-format "%%(h)s \\"%%(r)s\\" $$x"');
  });

  const analyze = spawnSync("systemd-analyze", ["--version"]).status === 0;
  it.runIf(analyze)("passes systemd-analyze verify without a warning", () => {
    const dir = mkdtempSync(join(tmpdir(), "mgr-unit-"));
    try {
      const path = join(dir, "fasterapi.service");
      writeFileSync(path, unit(30, [process.execPath, "/srv/app/bin.js", "app.ts", "--access-log-format", '%(h)s "%(r)s"']));
      const result = spawnSync("systemd-analyze", ["verify", path], { encoding: "utf8" });
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
