/**
 * Supervision under faults on every runtime: a boot that never finishes, signals the master does not
 * act on, and a pool size past the bound.
 */

import { afterEach, describe, expect, it } from "vitest";
import { destroyAllMasters, FIXTURES, freePort, get, Master, RUNTIMES, runMgr, startServing } from "./harness.ts";

afterEach(destroyAllMasters);

describe.each(RUNTIMES)("supervision on %s", (runtime) => {
  it("kills workers whose setup() never resolves at the boot deadline, naming the step, and exits 3", async () => {
    const port = await freePort();
    const started = Date.now();
    // Three workers: the first deadline kills three boots at once and two respawns (after the backoff)
    // meet it again, the five attempts that end the master.
    const master = new Master(runtime, [`${FIXTURES}hang-setup.ts`, "-w", "3", "--timeout", "2", "-b", `127.0.0.1:${port}`]);
    const { code } = await master.waitForExit(30_000);
    expect(code).toBe(3);
    const deadlines = master.lines(/did not boot within 2s/);
    expect(deadlines.length).toBeGreaterThanOrEqual(5);
    for (const line of deadlines) expect(line).toMatch(/\[ERROR\] Worker \(pid:\d+\) did not boot within 2s \(in the app's setup\(\)\); killing it/);
    expect(master.lines(/Reason: Worker failed to boot\./)).toHaveLength(1);
    // Five failures, at 2 s each plus the backoff between them: well under the 30 s allowed.
    expect(Date.now() - started).toBeLessThan(25_000);
  });

  it("keeps serving when sent PIPE, and logs nothing for it (USR2 and WINCH: upgrade.test.ts)", async () => {
    const port = await freePort();
    const master = await startServing(runtime, `${FIXTURES}app.ts`, port, ["-w", "1"]);
    const workers = await master.waitForWorkers(1);
    master.signal("SIGPIPE");
    master.signal("SIGTTIN");
    // TTIN's line comes after PIPE was handled: the signals are handled in order.
    await master.waitForLine(/Handling signal: ttin/);
    expect(master.lines(/pipe/i)).toEqual([]);
    expect((await get(port, "/")).status).toBe(200);
    expect(master.workers()).toEqual(expect.arrayContaining(workers));
    master.signal("SIGTERM");
    expect((await master.waitForExit()).code).toBe(0);
  });

  it("refuses an absurd pool size in one line with exit 2, spawning nothing", async () => {
    const { code, stderr } = await runMgr(runtime, [`${FIXTURES}app.ts`, "-w", "100000"]);
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toEqual(['mgr: error: --workers must be an integer from 1 to 256, got "100000" (see mgr --help)']);
  });
});
