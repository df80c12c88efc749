/**
 * A worker survives the signals meant for its master, on every runtime: an operator may send them to
 * a worker's pid, or to the whole process group (`kill -USR2 -PGID`), which reaches every worker.
 */

import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { destroyAllMasters, FIXTURES, freePort, get, RUNTIMES_WITH_FLOOR, startServing, waitFor } from "./harness.ts";

afterEach(destroyAllMasters);

/** The signals whose default action ends a process (HUP, USR1, USR2) or stops it (TTIN, TTOU), and two it ignores. */
const SIGNALS = ["SIGUSR2", "SIGWINCH", "SIGPIPE", "SIGHUP", "SIGTTIN", "SIGTTOU", "SIGUSR1"] as const;

/** The one-letter state of `pid` in /proc: S sleeping, R running, T stopped, Z zombie. */
function stateOf(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return undefined;
  }
}

describe.each(RUNTIMES_WITH_FLOOR)("worker signals on %s", (runtime) => {
  it("keeps a worker serving through USR2, WINCH, PIPE, HUP, TTIN, TTOU and USR1 sent to it", async () => {
    const port = await freePort();
    const master = await startServing(runtime, `${FIXTURES}app.ts`, port, ["-w", "1"]);
    const [worker] = await master.waitForWorkers(1);
    for (const signal of SIGNALS) {
      process.kill(worker!, signal);
      // Sent one at a time, each answered before the next: a worker that dies of one is named by it.
      const response = await get(port, "/pid");
      expect(response.body, `after ${signal}`).toBe(String(worker));
      expect(stateOf(worker!), `after ${signal}`).toMatch(/^[SR]$/);
    }
    await waitFor("the worker to log the signals it ignores", () => master.lines(/Worker ignores SIG(HUP|USR2|TTIN|TTOU)/).length === 4);
    expect(master.workers()).toEqual([worker]);
    expect(master.lines(/Booting worker/), master.log).toHaveLength(1);
    // Node and Deno open an inspector port on USR1 unless the worker handles it.
    expect(master.log).not.toMatch(/Debugger listening/);
    master.signal("SIGTERM");
    expect((await master.waitForExit()).code).toBe(0);
  });
});
