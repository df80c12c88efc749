/**
 * The behaviour suite: written once, run against every runtime in RUNTIMES_WITH_FLOOR (Node 20 too)
 * with a real master, real worker processes and real HTTP on 127.0.0.1.
 */

import { createServer } from "node:net";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  destroyAllMasters,
  expectNoLostRequests,
  FIXTURES,
  freePort,
  get,
  isAlive,
  Master,
  type RequestFailure,
  ROOT,
  RUNTIMES_WITH_FLOOR,
  startServing,
  waitFor,
} from "./harness.ts";

const APP = `${FIXTURES}app.ts`;

afterEach(destroyAllMasters);

/** Resolves true if a TCP connection to `port` is refused, false if it is accepted. */
function isRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}

describe.each(RUNTIMES_WITH_FLOOR)("mgr on %s", (runtime) => {
  it("serves the example app from two workers that are children of the master", async () => {
    const port = await freePort();
    const started = Date.now();
    const master = new Master(runtime, [`${ROOT}examples/hello.ts`, "-w", "2", "-b", `127.0.0.1:${port}`]);
    const response = await waitFor("a 200 from the example app", async () => {
      const r = await get(port, "/");
      return r.status === 200 ? r : undefined;
    }, { timeoutMs: 3_000 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(response.body).toBe("Hello from mgr!\n");

    const workers = await master.waitForWorkers(2);
    const served = new Set<number>();
    await waitFor("answers from both workers", async () => {
      served.add(JSON.parse((await get(port, "/pid", { fresh: true })).body).pid);
      return served.size === 2;
    });
    expect([...served].sort((a, b) => a - b)).toEqual(workers);
    await master.waitForLine(/Ready: 2 workers serving http:\/\/127\.0\.0\.1:\d+/);
  });

  it("replaces a worker killed with SIGKILL while the other keeps serving", async () => {
    const port = await freePort();
    const master = await startServing(runtime, APP, port, ["-w", "2"]);
    const [victim, survivor] = await master.waitForWorkers(2);

    let failures = 0;
    let successes = 0;
    let running = true;
    const load = (async () => {
      while (running) {
        try {
          if ((await get(port, "/", { fresh: true, timeoutMs: 2_000 })).status === 200) successes++;
          else failures++;
        } catch {
          failures++;
        }
      }
    })();

    process.kill(victim!, "SIGKILL");
    const replaced = await waitFor("a new worker in place of the killed one", () => {
      const pids = master.workers();
      return pids.length === 2 && !pids.includes(victim!) && pids.includes(survivor!) ? pids : undefined;
    });
    await master.waitForLine(new RegExp(`Worker \\(pid:${victim}\\) was sent SIGKILL! Perhaps out of memory\\?`));
    const successesAtReplacement = successes;
    await waitFor("20 more successful requests", () => successes >= successesAtReplacement + 20);
    running = false;
    await load;
    // The only request that may fail is one the master handed to the victim as it was killed.
    expect(failures).toBeLessThanOrEqual(1);
    const newcomer = replaced.find((pid) => pid !== survivor)!;
    const seen = new Set<number>();
    await waitFor("the new worker to serve", async () => {
      seen.add(Number((await get(port, "/pid", { fresh: true })).body));
      return seen.has(newcomer);
    });
  });

  it("exits 4 within 5 s and prints the error once when the app throws at import", async () => {
    const port = await freePort();
    const started = Date.now();
    const master = new Master(runtime, [`${FIXTURES}import-error.ts`, "-w", "2", "-b", `127.0.0.1:${port}`]);
    const { code } = await master.waitForExit(5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(code).toBe(4);
    expect(master.lines(/fixture import failure: the database URL is missing/)).toHaveLength(1);
    expect(master.lines(/Reason: App failed to load\./)).toHaveLength(1);
  });

  it("exits 4 when setup() rejects", async () => {
    const port = await freePort();
    const master = new Master(runtime, [`${FIXTURES}setup-error.ts`, "-w", "2", "-b", `127.0.0.1:${port}`]);
    const { code } = await master.waitForExit(5_000);
    expect(code).toBe(4);
    expect(master.lines(/fixture setup failure: cannot reach the database/)).toHaveLength(1);
  });

  it("exits 3 after a few attempts when workers die while booting", async () => {
    const port = await freePort();
    const master = new Master(runtime, [`${FIXTURES}exit-at-boot.ts`, "-w", "1", "-b", `127.0.0.1:${port}`]);
    const { code } = await master.waitForExit(15_000);
    expect(code).toBe(3);
    expect(master.lines(/failed to boot/).length).toBeGreaterThanOrEqual(2);
    expect(master.lines(/Reason: Worker failed to boot\./)).toHaveLength(1);
  });

  it("kills a worker whose handler busy-loops after --timeout and keeps the other serving", async () => {
    const port = await freePort();
    const master = await startServing(runtime, APP, port, ["-w", "2", "--timeout", "2"]);
    const before = await master.waitForWorkers(2);

    get(port, "/hang", { fresh: true, timeoutMs: 10_000 }).catch(() => {});
    const hangLine = await master.waitForLine(/hanging \(pid \d+\)/);
    const hung = Number(/hanging \(pid (\d+)\)/.exec(hangLine)![1]);
    const other = before.find((pid) => pid !== hung)!;

    // While the hung worker waits for its timeout, the other one answers.
    const answeredBy = new Set<number>();
    await waitFor("answers while a worker hangs", async () => {
      // Several at once: with SO_REUSEPORT the kernel queues about half of new connections on the
      // hung worker, and those wait for its timeout.
      const responses = await Promise.all(
        Array.from({ length: 8 }, () => get(port, "/pid", { fresh: true, timeoutMs: 500 }).catch(() => undefined)),
      );
      for (const response of responses) if (response?.status === 200) answeredBy.add(Number(response.body));
      return answeredBy.size > 0 && !master.log.includes(`WORKER TIMEOUT (pid:${hung})`) ? true : undefined;
    });
    expect([...answeredBy]).toEqual([other]);

    await master.waitForLine(new RegExp(`WORKER TIMEOUT \\(pid:${hung}\\)`), 5_000);
    const after = await waitFor("the hung worker to be replaced", () => {
      const pids = master.workers();
      return pids.length === 2 && !pids.includes(hung) ? pids : undefined;
    });
    expect(after).toContain(other);
    expect(isAlive(hung)).toBe(false);
  });

  it("finishes an in-flight request on SIGTERM, refuses new connections, and exits 0", async () => {
    const port = await freePort();
    const master = await startServing(runtime, APP, port, ["-w", "2"]);
    const slow = get(port, "/slow?ms=2000", { fresh: true, timeoutMs: 10_000 });
    await master.waitForLine(/slow request started/);
    let slowDone = false;
    void slow.then(() => (slowDone = true), () => (slowDone = true));

    master.signal("SIGTERM");
    await waitFor("new connections to be refused", () => isRefused(port), { timeoutMs: 1_500 });
    expect(slowDone).toBe(false);

    const response = await slow;
    expect(response.status).toBe(200);
    expect(response.body).toBe("slept 2000");
    const { code } = await master.waitForExit(10_000);
    expect(code).toBe(0);
    expect(master.log).toContain("Shutting down: Master");
  });

  it("recycles workers at --max-requests with jitter and fails no request", async () => {
    // 600 requests over two workers retiring after 30 to 36: some 18 replacements in 4 s.
    const REQUESTS = 600;
    const port = await freePort();
    const master = await startServing(runtime, APP, port, ["-w", "2", "--max-requests", "30", "--max-requests-jitter", "6"]);
    // Two workers serve and, with recycling on, a third waits booted as a spare.
    await master.waitForWorkers(3);
    const pids = new Set<number>();
    const failures: RequestFailure[] = [];
    let statusOk = 0;
    let remaining = REQUESTS;
    const started = Date.now();
    let issued = 0;

    // Four clients at once: two reuse keep-alive connections, two open a connection per request.
    // Requests arrive at a steady 150/s: a worker can only be recycled as fast as its replacement
    // boots, and past that rate a retiring worker rightly serves on until its successor is ready.
    const client = async (fresh: boolean) => {
      while (remaining > 0) {
        remaining--;
        const due = started + (issued++ * 1000) / 150;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        try {
          const response = await get(port, "/pid", { fresh });
          if (response.status === 200) {
            statusOk++;
            pids.add(Number(response.body));
          } else failures.push({ fresh, message: `status ${response.status}` });
        } catch (error) {
          failures.push({ fresh, message: String(error) });
        }
      }
    };
    await Promise.all([client(false), client(false), client(true), client(true)]);

    const swaps = master.lines(/served \d+ requests; replacing it/).length;
    expectNoLostRequests(runtime, failures, swaps);
    expect(statusOk + failures.length).toBe(REQUESTS);
    // Each pid beyond the first two is a replacement worker that served.
    expect(pids.size - 2).toBeGreaterThanOrEqual(10);
    expect(master.lines(/served \d+ requests; replacing it/).length).toBeGreaterThanOrEqual(10);
  });

  it("leaves no worker behind when the master is killed with SIGKILL", async () => {
    const port = await freePort();
    const master = await startServing(runtime, APP, port, ["-w", "2"]);
    const workers = await master.waitForWorkers(2);
    master.signal("SIGKILL");
    await master.exited;
    await waitFor("every worker to exit", () => workers.every((pid) => !isAlive(pid)), { timeoutMs: 3_000 });
  });

  it("refuses to start on a port in use with one line naming the address", async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, "127.0.0.1", () => resolve((blocker.address() as { port: number }).port))
    );
    try {
      const master = new Master(runtime, [APP, "-w", "2", "-b", `127.0.0.1:${port}`]);
      const { code } = await master.waitForExit(5_000);
      expect(code).not.toBe(0);
      const errors = master.lines(/\[ERROR\]/);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`Cannot listen on 127.0.0.1:${port}: address already in use`);
      expect(master.log).not.toMatch(/^\s+at /m);
      expect(master.workers()).toEqual([]);
    } finally {
      blocker.close();
    }
  });
});
