/**
 * A worker whose JavaScript spins is killed at `timeout`, and the log says where it was and what it
 * was serving, on every runtime in RUNTIMES_WITH_FLOOR, as far as each allows:
 * - node: the master pauses the worker through the inspector SIGUSR1 opens and logs its stack, the
 *   spinning function first with its file:line, and the requests read from the paused worker;
 * - bun, deno: no inspector can be opened from outside a running process, so the log says the stack
 *   is unavailable and names the requests of the worker's last heartbeat: a request that spins a
 *   second after it arrived is named, one that spins at once is not.
 * Either way the worker is replaced within the timeout plus the capture's deadline.
 */

import { loopbackListeners } from "../../adapters/node/hung-stack.ts";
import { afterEach, describe, expect, it } from "vitest";
import { STACK_CAPTURE_DEADLINE_MS } from "../../src/core/hung-worker-report.ts";
import { MAX_HEARTBEAT_INTERVAL_MS } from "../../src/core/worker-spec.ts";
import { destroyAllMasters, FIXTURES, freePort, get, isAlive, RUNTIMES_WITH_FLOOR, runtimeFamily, startServing, waitFor } from "./harness.ts";

const APP = `${FIXTURES}hang-route.ts`;
const TIMEOUT_S = 2;
/** How long /spin-later waits before it spins (see the fixture). */
const SPIN_LATER_MS = 1_500;

afterEach(async () => {
  await destroyAllMasters();
});

/** The ports `pid` listens on at 127.0.0.1, read from /proc as the stack capture reads them. */
function loopbackPorts(pid: number): number[] {
  return [...loopbackListeners(pid).values()];
}

describe.each(RUNTIMES_WITH_FLOOR)("a hung worker on %s", (runtime) => {
  const capturesStack = runtimeFamily(runtime) === "node";
  // Where no stack can be captured, the route must have been in flight at a heartbeat to be named.
  const route = capturesStack ? "/spin" : "/spin-later";

  it(capturesStack ? "is logged with the spinning function's file:line, its pid and its request, then replaced" : "is logged as such with its pid and the request of its last heartbeat, then replaced", async () => {
    const port = await freePort();
    const master = await startServing(runtime, APP, port, ["-w", "1", "--timeout", String(TIMEOUT_S)]);
    const [pid] = await master.waitForWorkers(1);
    const sent = Date.now();
    get(port, route, { fresh: true, timeoutMs: 20_000 }).catch(() => {});

    await master.waitForLine(new RegExp(`WORKER TIMEOUT \\(pid:${pid}\\)`), 15_000);
    await waitFor(`worker ${pid} to be killed`, () => !isAlive(pid!), { timeoutMs: 15_000 });
    const replacedIn = Date.now() - sent;
    const spinsAfter = capturesStack ? 0 : SPIN_LATER_MS;
    // Its last heartbeat may have gone up to one interval before the spin began; 500 ms for the machine.
    expect(replacedIn, master.log).toBeLessThan(spinsAfter + MAX_HEARTBEAT_INTERVAL_MS + TIMEOUT_S * 1000 + STACK_CAPTURE_DEADLINE_MS + 500);
    await waitFor("a new worker", () => master.workers().some((p) => p !== pid), { timeoutMs: 15_000 });

    const log = master.log;
    if (capturesStack) {
      expect(log).toContain(`Worker (pid:${pid}) was executing:`);
      expect(log).toMatch(/\n {4}at spinForever \(\S*test\/fixtures\/hang-route\.ts:6:\d+\)/);
      expect(log).toMatch(new RegExp(`Requests in flight on worker \\(pid:${pid}\\): GET /spin \\(\\d+\\.\\d s\\)`));
      // The inspector announces itself over HTTP only, not in the log.
      expect(log).not.toMatch(/Debugger listening/);
    } else {
      expect(log).toContain(`Worker (pid:${pid}) stack unavailable: ${runtime} cannot interrupt a busy worker`);
      expect(log).toMatch(new RegExp(`Requests in flight on worker \\(pid:${pid}\\) at its last heartbeat, .*GET /spin-later`));
    }
    // The new worker serves.
    await waitFor("an answer from the new worker", async () => (await get(port, "/", { fresh: true })).status === 200);
  }, 40_000);

  if (capturesStack) {
    it("closes an inspector a stray SIGUSR1 opens in a healthy worker within a heartbeat, and reopens its logs", async () => {
      const port = await freePort();
      const master = await startServing(runtime, APP, port, ["-w", "1", "--timeout", String(TIMEOUT_S)]);
      const [pid] = await master.waitForWorkers(1);
      // The worker's own listeners (the app's port, where it listens itself) are not the inspector's.
      const before = loopbackPorts(pid!).sort();
      process.kill(pid!, "SIGUSR1");
      await master.waitForLine(/Closed the inspector a SIGUSR1 opened; reopening log files/);
      await waitFor("the inspector port to close", () => JSON.stringify(loopbackPorts(pid!).sort()) === JSON.stringify(before));
      expect(isAlive(pid!)).toBe(true);
      expect((await get(port, "/")).status).toBe(200);
    }, 40_000);
  }
});
