/**
 * SIGUSR1 never opens a debugger on a Deno master or worker. Deno 2.9.2 and later start an inspector
 * on 127.0.0.1:9229 when a process gets SIGUSR1 more than 500 ms after its start, even when the
 * program listens for the signal (denoland/deno#35738), and mgr uses USR1 to reopen logs, so a
 * logrotate would hand any local user a debugger running as the master's user. mgr disarms it at
 * start (adapters/deno/disarm-debug-signal.ts); this checks from outside that no port anyone can
 * connect to opens, and that USR1 still reopens the logs.
 *
 * Deno only: Bun 1.4.5 opens no inspector on SIGUSR1 (measured: a Bun process that listens for the
 * signal runs its listener and nothing listens afterwards; one that does not dies of it), and Node's
 * workers use the inspector SIGUSR1 opens on purpose, closing a stray one (see the README's hung
 * worker section).
 */

import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { ListeningEntry } from "../../src/runtime/listening-fds.ts";
import { destroyAllMasters, FIXTURES, freePort, get, Master, ROOT, RUNTIMES, startServing, waitFor } from "./harness.ts";
import { listeningSockets } from "./proc-sockets.ts";

afterEach(destroyAllMasters);

/** Deno installs its SIGUSR1 listener this long after a process starts; before that the signal opens nothing. */
const DENO_SIGNAL_GRACE_MS = 500;

/** Starts a Deno master with `denoFlags` before mgr.ts, and waits for it to be ready. */
async function bootWith(denoFlags: string[]): Promise<Master> {
  const port = await freePort();
  const master = new Master("command", [
    `${ROOT}node_modules/.bin/deno`, "run", ...denoFlags, "-A", `${ROOT}mgr.ts`,
    `${FIXTURES}app.ts`, "-w", "1", "-b", `127.0.0.1:${port}`,
  ]);
  await master.waitForLine(/\[INFO\] Ready: 1 worker serving/, 15_000);
  return master;
}

/** Whether a TCP connection to `entry` opens (a wildcard address is tried on loopback). */
function accepts(entry: ListeningEntry): Promise<boolean> {
  const host = entry.ip === "0.0.0.0" ? "127.0.0.1" : /^[0:]+$/.test(entry.ip) ? "::1" : entry.ip;
  return new Promise((resolve) => {
    const socket = connect({ host, port: entry.port, timeout: 1_000 });
    const done = (opened: boolean) => {
      socket.destroy();
      resolve(opened);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}

describe.runIf(RUNTIMES.includes("deno"))("SIGUSR1 on Deno", () => {
  it("reopens the logs and opens no port anyone can connect to, on the master or a worker", async () => {
    const port = await freePort();
    const master = await startServing("deno", `${FIXTURES}app.ts`, port, ["-w", "1"]);
    const [worker] = await master.waitForWorkers(1);
    // Both processes started before Ready was logged: past this, Deno's own listener is in place.
    const armedAt = Date.now() + DENO_SIGNAL_GRACE_MS + 100;
    await waitFor("Deno's SIGUSR1 grace period to pass", () => Date.now() > armedAt);

    process.kill(master.pid, "SIGUSR1");
    process.kill(worker!, "SIGUSR1");
    await master.waitForLine(/\[INFO\] Reopening log files/);

    // Deno opens its inspector from a thread of its own as the signal arrives; watch for 1.5 s.
    const reachable = new Set<string>();
    const watchUntil = Date.now() + 1_500;
    await waitFor("1.5 s of watching the listening sockets", async () => {
      for (const pid of [master.pid, worker!]) {
        for (const entry of listeningSockets(pid)) {
          if (entry.port !== port && await accepts(entry)) reachable.add(`${pid} ${entry.ip}:${entry.port}`);
        }
      }
      return Date.now() > watchUntil;
    }, { timeoutMs: 10_000, intervalMs: 50 });

    expect([...reachable], master.log).toEqual([]);
    // Nor did Deno try (9229 taken by someone else would hide a try from the check above).
    expect(master.log).not.toMatch(/Debugger listening|chrome:\/\/inspect|inspector server/);
    expect(master.workers()).toEqual([worker]);
    expect((await get(port, "/")).status).toBe(200);
  });

  // `deno run -q` silences Deno's announcement of the disarming inspector: the master must not warn that
  // one may come (its boot, about 100 ms longer for the wait, is measured in BENCHMARKS.md, not here).
  it("starts under deno run -q with no warning, and is still disarmed", async () => {
    const master = await bootWith(["-q"]);
    expect(master.lines(/\[WARNING\]/)).toEqual([]);
    expect(listeningSockets(master.pid).map((entry) => entry.ip), master.log).toContain("127.255.255.255");
    await master.destroy();
  });

  it("lets an app swap in a debugger of its own on loopback, and SIGUSR1 still opens none", async () => {
    const port = await freePort();
    const master = await startServing("deno", `${FIXTURES}own-inspector.ts`, port, ["-w", "1"]);
    const [worker] = await master.waitForWorkers(1);
    const line = await master.waitForLine(/Debugger listening on ws:\/\/127\.0\.0\.1:\d+\//);
    const debuggerPort = Number(/127\.0\.0\.1:(\d+)\//.exec(line)![1]);
    const targets = await fetch(`http://127.0.0.1:${debuggerPort}/json/list`).then((response) => response.json());
    expect(targets, master.log).toHaveLength(1);

    const armedAt = Date.now() + DENO_SIGNAL_GRACE_MS + 100;
    await waitFor("Deno's SIGUSR1 grace period to pass", () => Date.now() > armedAt);
    const addresses = () => listeningSockets(worker!).map((entry) => `${entry.ip}:${entry.port}`);
    const before = new Set(addresses());
    process.kill(worker!, "SIGUSR1");
    // Deno would open 9229 from a thread of its own as the signal arrives; watch for 1 s.
    const opened = new Set<string>();
    const watchUntil = Date.now() + 1_000;
    await waitFor("1 s of watching the worker's sockets", () => {
      for (const address of addresses()) if (!before.has(address)) opened.add(address);
      return Date.now() > watchUntil;
    }, { timeoutMs: 5_000, intervalMs: 50 });
    expect([...opened], master.log).toEqual([]);
    expect((await get(port, "/")).status).toBe(200);
  });
});
