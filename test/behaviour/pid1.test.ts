/**
 * The master as PID 1, as in a container without an init: started in a PID namespace of its own
 * (`unshare --pid --fork --mount-proc`, as root), it must reap every worker that dies, replace it, and
 * stop cleanly on TERM, which the kernel delivers to PID 1 only because the master handles it.
 */

import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { childPids, destroyAllMasters, FIXTURES, freePort, get, Master, mgrCommand, RUNTIMES_WITH_FLOOR, waitFor, zombieChildren } from "./harness.ts";

const APP = `${FIXTURES}app.ts`;
const CRASHES = 20;
const GRACEFUL_S = 5;

/** True when this process may make a PID namespace (root, or an unprivileged user namespace). */
function canUnshare(): boolean {
  try {
    execFileSync("unshare", ["--pid", "--fork", "--mount-proc", "true"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

// Most of each run is the master's restart backoff (a worker killed within a second of its start counts
// toward a crash loop), an idle wait: the runtimes run side by side, each in a namespace of its own.
describe("the master as PID 1", () => {
  afterAll(destroyAllMasters);

  it.concurrent.each(RUNTIMES_WITH_FLOOR)(`on %s reaps and replaces ${CRASHES} killed workers, leaves no zombie, and exits 0 on TERM`, async (runtime) => {
    expect(canUnshare(), "`unshare --pid --fork --mount-proc` must work here (run as root)").toBe(true);
    const port = await freePort();
    const unshare = new Master("command", [
      "unshare", "--pid", "--fork", "--mount-proc", "--kill-child=SIGKILL",
      ...mgrCommand(runtime), APP, "-w", "2", "-b", `127.0.0.1:${port}`, "--graceful-timeout", String(GRACEFUL_S),
    ]);
    await unshare.waitForLine(/\[INFO\] Ready: 2 workers serving/, 20_000);
    // unshare's child is the master: PID 1 inside, its own pid outside.
    const master = (await waitFor("the master", () => childPids(unshare.pid)[0]))!;
    expect(unshare.lines(/Listening at: .*\(1\)$/), unshare.log).toHaveLength(1);

    for (let crash = 0; crash < CRASHES; crash++) {
      const workers = await waitFor(`2 workers before crash ${crash}`, () => {
        const pids = childPids(master);
        return pids.length === 2 ? pids : undefined;
      }, { timeoutMs: 15_000 });
      process.kill(workers[crash % 2]!, "SIGKILL");
      await waitFor(`a replacement after crash ${crash}\n${unshare.log}`, () => {
        const pids = childPids(master);
        return pids.length === 2 && !pids.includes(workers[crash % 2]!);
      }, { timeoutMs: 15_000 });
    }
    await waitFor("the pool to serve", async () => (await get(port, "/", { fresh: true })).status === 200);
    expect(zombieChildren(master)).toEqual([]);

    const stoppedAt = Date.now();
    process.kill(master, "SIGTERM");
    const exit = await unshare.waitForExit(GRACEFUL_S * 1000 + 5_000);
    // unshare exits as its child did.
    expect(exit.code, unshare.log).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(GRACEFUL_S * 1000);
    expect(unshare.lines(/Shutting down|Goodbye/i).length, unshare.log).toBeGreaterThan(0);
  }, 120_000);
});
