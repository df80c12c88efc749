/**
 * Unix socket paths longer than a unix socket allows (108 bytes with the NUL), on Node and Deno in
 * RUNTIMES: Node 20 bound them cut short without a word (a stale `…/node.m` in the way of the next
 * master), Deno said EINVAL. A control socket that cannot be is one warning and the master serves on;
 * a bind that cannot be is refused before anything starts.
 */

import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { destroyAllMasters, FIXTURES, freePort, get, runMgr, RUNTIMES, runtimeFamily, startServing } from "./harness.ts";

const APP = `${FIXTURES}app.ts`;

let dir: string;
/** A directory deep enough that `node.mgr-control.sock` in it is over the limit, though a pidfile there is fine. */
let deep: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mgr-long-paths-"));
  deep = join(dir, "d".repeat(90));
  mkdirSync(deep);
});
afterEach(async () => {
  await destroyAllMasters();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(RUNTIMES.filter((runtime) => runtimeFamily(runtime) !== "bun"))("unix socket paths too long on %s", (runtime) => {
  it("a control socket beside a deep pidfile: one warning with the fix, no socket, the master serves; mgr status says the same", async () => {
    const pidfile = join(deep, "node.pid");
    const socket = join(deep, "node.mgr-control.sock");
    const port = await freePort();
    const master = await startServing(runtime, APP, port, ["-w", "1", "--pid", pidfile]);
    const problem = `the control socket path ${socket} is ${Buffer.byteLength(socket)} bytes, over the 107 a unix socket's path may have: ` +
      "put the pidfile (--pid) in a shorter directory";
    expect(master.lines(/\[WARNING\]/), master.log).toEqual([
      expect.stringMatching(new RegExp(`\\[WARNING\\] Control socket unavailable \\(.*\\): ${escape(problem)}$`)),
    ]);
    // Nothing under the path cut short either.
    expect(readdirSync(deep)).toEqual(["node.pid"]);
    expect((await get(port, "/", { fresh: true })).status).toBe(200);

    const status = await runMgr(runtime, ["status", "--pid", pidfile]);
    expect(status).toEqual({ code: 2, stdout: "", stderr: `mgr: error: ${problem} (see mgr --help)\n` });

    master.signal("SIGTERM");
    expect((await master.waitForExit(15_000)).code).toBe(0);
  });

  it("refuses a unix bind or admin address too long for a unix socket at start, in one line, exit 2", async () => {
    const path = join(deep, "app.sock");
    const port = await freePort();
    for (const flags of [["-b", `unix:${path}`], ["-b", `127.0.0.1:${port}`, "--admin-bind", `unix:${path}`]]) {
      const result = await runMgr(runtime, [APP, "-w", "1", ...flags]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^mgr: error: .*at most 107 bytes, a unix socket's limit \\(this one has ${Buffer.byteLength(path)}\\).*\\n$`));
    }
    expect(readdirSync(deep)).toEqual([]);
  });
});

/** `text` as a regular expression that matches it literally. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
