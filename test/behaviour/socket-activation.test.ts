/**
 * Sockets a master inherits, on every runtime (Node 20 and 24, Bun, Deno), started the way systemd
 * starts a service with a `.socket` unit (`systemd-socket-activate`, which sets LISTEN_FDS and
 * LISTEN_PID): Node's workers serve the inherited socket, through reloads and with the pool emptied,
 * and Bun and Deno say they cannot and bind the configured address instead.
 */

import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  destroyAllMasters,
  FIXTURES,
  freePort,
  get,
  isAlive,
  Master,
  mgrCommand,
  runMgr,
  runtimeFamily,
  RUNTIMES_WITH_FLOOR,
  waitFor,
} from "./harness.ts";

const APP = `${FIXTURES}app.ts`;

afterEach(() => destroyAllMasters());

/**
 * `mgr APP ARGS` on `runtime`, started by systemd-socket-activate listening on `port`: as systemd
 * does, it starts the service at the first connection, `first`, which then waits in the socket's queue.
 */
async function activated<T>(
  runtime: string,
  port: number,
  args: string[],
  first: () => Promise<T>,
): Promise<{ master: Master; first: Promise<T> }> {
  const master = new Master("command", [
    "systemd-socket-activate",
    "-l",
    `127.0.0.1:${port}`,
    ...mgrCommand(runtime),
    APP,
    ...args,
  ]);
  await master.waitForLine(/Listening on 127\.0\.0\.1:\d+ as 3/);
  return { master, first: first() };
}

/** Opens a connection to `port` and closes it at once: enough to start an activated service. */
function knock(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.destroy();
      resolve();
    });
    socket.once("error", reject);
  });
}

describe.each(RUNTIMES_WITH_FLOOR)("socket activation on %s", (runtime) => {
  const node = runtimeFamily(runtime) === "node";

  // Each runtime gets the cases that describe it: Node serves inherited sockets, Bun and Deno cannot.
  if (node) {
    it("serves the socket systemd passed, through a reload and after every worker was killed", async () => {
      const port = await freePort();
      const { master, first: firstRequest } = await activated(runtime, port, ["-w", "2"], () => get(port, "/", { fresh: true }));
      await master.waitForLine(/Socket activation: serving the 1 socket\(s\) systemd passed/, 15_000);
      await master.waitForLine(/Listening at: fd:\/\/3 /);
      await master.waitForLine(/Ready: 2 workers serving fd:\/\/3/, 15_000);
      // The connection that started the service waited in the queue, and is served.
      expect((await firstRequest).status).toBe(200);
      expect((await get(port, "/", { fresh: true })).status).toBe(200);

      // The workers' environment has no LISTEN_FDS: an app that looked would not think it was activated.
      const first = await master.waitForWorkers(2);
      for (const worker of first) {
        expect(readFileSync(`/proc/${worker}/environ`, "utf8").split("\0").filter((v) => v.startsWith("LISTEN_"))).toEqual([]);
      }

      master.signal("SIGHUP");
      await waitFor("a new pool", () => {
        const pids = master.workers();
        return pids.length === 2 && pids.every((pid) => !first.includes(pid)) ? pids : undefined;
      }, { timeoutMs: 15_000 });
      expect((await get(port, "/", { fresh: true })).status).toBe(200);

      // An empty pool must not close the socket: the master keeps its own descriptor.
      for (const pid of master.workers()) process.kill(pid, "SIGKILL");
      await waitFor("the pool back, serving", async () => (await get(port, "/", { fresh: true })).status === 200, {
        timeoutMs: 15_000,
      });
      master.signal("SIGTERM");
      expect((await master.waitForExit(15_000)).code).toBe(0);
    });

    it("refuses fd:// for a descriptor it was not handed, in one line", async () => {
      const result = await runMgr(runtime, [APP, "-b", "fd://987"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /Cannot listen on fd:\/\/987: no such file descriptor: this process was not handed that socket/,
      );
    });
  } else {
    it("warns that it cannot serve the inherited socket and binds the configured address", async () => {
      const activatedPort = await freePort();
      const port = await freePort();
      const { master, first } = await activated(
        runtime,
        activatedPort,
        ["-w", "1", "-b", `127.0.0.1:${port}`],
        () => knock(activatedPort),
      );
      await first;
      await master.waitForLine(
        new RegExp(
          `LISTEN_FDS is set, but ${runtime} workers cannot serve inherited sockets; binding 127\\.0\\.0\\.1:${port} instead`,
        ),
        15_000,
      );
      await master.waitForLine(/Ready: 1 worker serving/, 15_000);
      expect((await get(port, "/", { fresh: true })).status).toBe(200);
      master.signal("SIGTERM");
      expect((await master.waitForExit(15_000)).code).toBe(0);
    });

    it("refuses an fd:// bind with the reason and the fix", async () => {
      const result = await runMgr(runtime, [APP, "-b", "fd://3"]);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toContain(`cannot bind fd://3 on ${runtime}: workers on this runtime listen themselves`);
      expect(result.stderr).toContain("run mgr on Node for fd:// and socket activation, or bind HOST:PORT");
    });
  }

  it("is not fooled by LISTEN_FDS meant for another process", async () => {
    const port = await freePort();
    const master = new Master(runtime, [APP, "-w", "1", "-b", `127.0.0.1:${port}`], { LISTEN_FDS: "1", LISTEN_PID: "1" });
    await master.waitForLine(/Ready: 1 worker serving http:\/\/127\.0\.0\.1/, 15_000);
    expect(master.lines(/LISTEN_FDS|Socket activation/)).toEqual([]);
    expect(isAlive(master.pid)).toBe(true);
  });
});
