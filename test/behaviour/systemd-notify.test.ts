/**
 * sd_notify for `Type=notify` units, on every runtime: a real unix datagram socket (a small Python
 * receiver, as systemd would hold it) gets the master's messages, in order, across start, HUP and TERM,
 * and the watchdog pings when WATCHDOG_USEC asks for them.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { destroyAllMasters, FIXTURES, freePort, get, Master, ROOT, runMgr, RUNTIMES, runtimeFamily, waitFor } from "./harness.ts";

interface Datagram {
  message: string;
  /** CLOCK_MONOTONIC when it arrived, in microseconds. */
  monotonicUsec: number;
}

/** A unix datagram socket standing in for systemd's, with every datagram it received. */
class NotifyReceiver {
  readonly datagrams: Datagram[] = [];
  readonly #child: ChildProcess;
  #partial = "";

  constructor(readonly address: string) {
    this.#child = spawn("python3", [`${ROOT}test/support/notify-receiver.py`, address], { stdio: ["pipe", "pipe", "inherit"] });
    this.#child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = (this.#partial + chunk).split("\n");
      this.#partial = lines.pop()!;
      for (const line of lines) if (line.startsWith("{")) this.datagrams.push(JSON.parse(line) as Datagram);
      if (lines.includes("listening")) this.#listening = true;
    });
    receivers.add(this);
  }

  #listening = false;

  /** Resolves once the socket is bound. */
  listening(): Promise<boolean> {
    return waitFor(`the receiver to bind ${this.address}`, () => this.#listening);
  }

  /** The messages, without systemd-notify's BARRIER=1 handshakes and the watchdog's pings. */
  messages(): string[] {
    return this.datagrams.map((d) => d.message).filter((m) => m !== "BARRIER=1" && m !== "WATCHDOG=1");
  }

  /** Waits until a message matching `pattern` has come, after `after` earlier ones, and returns it. */
  waitFor(pattern: RegExp, after = 0, timeoutMs = 15_000): Promise<string> {
    return waitFor(`a datagram matching ${pattern}; got ${JSON.stringify(this.messages())}`, () =>
      this.messages().slice(after).find((m) => pattern.test(m)), { timeoutMs });
  }

  close(): void {
    this.#child.stdin!.end();
    this.#child.kill();
  }
}

const receivers = new Set<NotifyReceiver>();
const directories: string[] = [];

afterEach(async () => {
  await destroyAllMasters();
  for (const receiver of receivers) receiver.close();
  receivers.clear();
  for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe.each(RUNTIMES)("sd_notify on %s", (runtime) => {
  it("sends MAINPID, READY=1 once every worker is ready, RELOADING=1 then READY=1 around HUP, STOPPING=1 on TERM, and WATCHDOG=1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mgr-notify-"));
    directories.push(dir);
    const receiver = new NotifyReceiver(join(dir, "notify.sock"));
    await receiver.listening();
    const port = await freePort();
    // 400 ms: pings every 200 ms, so a few arrive within the test.
    const master = new Master(runtime, [`${FIXTURES}app.ts`, "-w", "2", "-b", `127.0.0.1:${port}`], {
      NOTIFY_SOCKET: receiver.address,
      WATCHDOG_USEC: "400000",
    });

    const ready = await receiver.waitFor(/^READY=1/);
    // READY=1 only once the whole pool is: the master has logged it and the port answers at once.
    expect(master.log).toMatch(/Ready: 2 workers serving/);
    expect((await get(port, "/", { fresh: true })).status).toBe(200);
    expect(ready).toBe(`READY=1\nMAINPID=${master.pid}\nSTATUS=2 workers serving http://127.0.0.1:${port}`);
    // The socket is the master's: a worker's app that notified too would speak for the service. (The
    // master's other children, such as the systemd-notify it runs on Node, need it and are not workers.)
    const commandOf = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8");
      } catch {
        return "systemd-notify (gone)"; // a short-lived child that has exited meanwhile
      }
    };
    // Polled: a systemd-notify caught between its fork and its exec still shows the master's command line.
    const workers = await waitFor("the master's two workers among its children", () => {
      const found = master.workers().filter((pid) => !commandOf(pid).includes("systemd-notify"));
      return found.length === 2 ? found : undefined;
    });
    expect(workers).toHaveLength(2);
    for (const worker of workers) {
      expect(readFileSync(`/proc/${worker}/environ`, "utf8").split("\0").filter((v) => /^(NOTIFY_SOCKET|WATCHDOG_)/.test(v))).toEqual([]);
    }
    await waitFor("two watchdog pings", () => receiver.datagrams.filter((d) => d.message === "WATCHDOG=1").length >= 2);

    const beforeHup = receiver.messages().length;
    master.signal("SIGHUP");
    const reloading = await receiver.waitFor(/^RELOADING=1/, beforeHup);
    await master.waitForLine(/Reload complete/, 15_000);
    await receiver.waitFor(/^READY=1/, beforeHup + 1);

    const beforeTerm = receiver.messages().length;
    master.signal("SIGTERM");
    expect((await master.waitForExit(15_000)).code).toBe(0);
    await receiver.waitFor(/^STOPPING=1/, beforeTerm);

    expect(receiver.messages()).toEqual([
      `MAINPID=${master.pid}\nSTATUS=Booting 2 workers`,
      ready,
      expect.stringMatching(/^RELOADING=1\nMONOTONIC_USEC=\d+\nSTATUS=Reloading$/),
      `READY=1\nSTATUS=2 workers serving http://127.0.0.1:${port}`,
      "STOPPING=1\nSTATUS=Stopping",
    ]);
    // MONOTONIC_USEC is CLOCK_MONOTONIC, read just before the datagram left.
    const sentAt = Number(/MONOTONIC_USEC=(\d+)/.exec(reloading)![1]);
    const arrivedAt = receiver.datagrams.find((d) => d.message === reloading)!.monotonicUsec;
    expect(arrivedAt - sentAt).toBeGreaterThanOrEqual(0);
    expect(arrivedAt - sentAt).toBeLessThan(2_000_000);
  }, 60_000);

  it("hands the service to the new master of a USR2: its MAINPID and READY=1, and no STOPPING=1 from the old one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mgr-notify-"));
    directories.push(dir);
    const receiver = new NotifyReceiver(join(dir, "notify.sock"));
    await receiver.listening();
    const port = await freePort();
    const pidfile = join(dir, "app.pid");
    const master = new Master(runtime, [`${FIXTURES}app.ts`, "-w", "1", "-b", `127.0.0.1:${port}`, "--pid", pidfile], {
      NOTIFY_SOCKET: receiver.address,
    });
    await receiver.waitFor(/^READY=1/);
    master.signal("SIGUSR2");
    const newReady = await receiver.waitFor(new RegExp(`^READY=1\nMAINPID=(?!${master.pid}\n)\\d+`));
    const newMaster = Number(/MAINPID=(\d+)/.exec(newReady)![1]);
    expect(Number(readFileSync(pidfile, "utf8"))).toBe(newMaster);
    try {
      master.signal("SIGWINCH");
      await master.waitForLine(/Stopping every worker gracefully/);
      master.signal("SIGTERM");
      expect((await master.waitForExit(15_000)).code).toBe(0);
      expect(receiver.messages()).toEqual([
        `MAINPID=${master.pid}\nSTATUS=Booting 1 worker`,
        `READY=1\nMAINPID=${master.pid}\nSTATUS=1 worker serving http://127.0.0.1:${port}`,
        `STATUS=Upgrading: new master ${newMaster} is starting`,
        `MAINPID=${newMaster}\nSTATUS=Booting 1 worker`,
        newReady,
      ]);
      const beforeStop = receiver.messages().length;
      process.kill(newMaster, "SIGTERM");
      await receiver.waitFor(/^STOPPING=1/, beforeStop);
    } finally {
      try {
        process.kill(newMaster, "SIGKILL");
      } catch {
        // Stopped already.
      }
    }
  }, 60_000);

  it("reaches an abstract socket (@name), and sends no WATCHDOG=1 when WATCHDOG_PID names another process", async () => {
    const receiver = new NotifyReceiver(`@mgr-notify-test-${process.pid}-${runtime}`);
    await receiver.listening();
    const port = await freePort();
    const master = new Master(runtime, [`${FIXTURES}app.ts`, "-w", "1", "-b", `127.0.0.1:${port}`], {
      NOTIFY_SOCKET: receiver.address,
      WATCHDOG_USEC: "200000",
      WATCHDOG_PID: "1",
    });
    await receiver.waitFor(/^READY=1/);
    master.signal("SIGTERM");
    expect((await master.waitForExit(15_000)).code).toBe(0);
    await receiver.waitFor(/^STOPPING=1/);
    expect(receiver.datagrams.filter((d) => d.message === "WATCHDOG=1")).toEqual([]);
  }, 30_000);

  it("prints with `mgr systemd` a unit whose ExecStart starts a master on this runtime that notifies", async () => {
    const port = await freePort();
    const printed = await runMgr(runtime, ["systemd", `${FIXTURES}app.ts`, "-w", "1", "-b", `127.0.0.1:${port}`, "--graceful-timeout", "7"]);
    expect(printed.stderr).toBe("");
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^Type=notify$/m);
    expect(printed.stdout).toMatch(/^TimeoutStopSec=12$/m);
    const execStart = /^ExecStart=(.*)$/m.exec(printed.stdout)![1]!.split(" ");

    const receiver = new NotifyReceiver(`@mgr-unit-test-${process.pid}-${runtime}`);
    await receiver.listening();
    const master = new Master("command", execStart, { NOTIFY_SOCKET: receiver.address });
    await receiver.waitFor(/^READY=1/);
    expect((await get(port, "/", { fresh: true })).status).toBe(200);
    master.signal("SIGTERM");
    expect((await master.waitForExit(15_000)).code).toBe(0);
  }, 30_000);
});

describe.each(RUNTIMES.filter((runtime) => runtimeFamily(runtime) === "node"))("sd_notify on %s without systemd-notify", (runtime) => {
  it("warns once and serves on", async () => {
    const receiver = new NotifyReceiver(`@mgr-notify-missing-${process.pid}-${runtime}`);
    await receiver.listening();
    const port = await freePort();
    // No PATH: systemd-notify cannot be found (the master and its workers start from absolute paths).
    const master = new Master(runtime, [`${FIXTURES}app.ts`, "-w", "1", "-b", `127.0.0.1:${port}`], {
      NOTIFY_SOCKET: receiver.address,
      WATCHDOG_USEC: "200000",
      PATH: "/nonexistent",
    });
    await master.waitForLine(/Ready: 1 worker serving/, 15_000);
    expect((await get(port, "/", { fresh: true })).status).toBe(200);
    // Past several watchdog periods, still one warning.
    const deadline = Date.now() + 600;
    await waitFor("a few watchdog periods", () => Date.now() > deadline);
    expect(master.lines(/Cannot notify systemd/)).toEqual([
      expect.stringMatching(/\[WARNING\] Cannot notify systemd at @mgr-notify-missing-\d+-\w+: systemd-notify is not installed/),
    ]);
    expect(receiver.datagrams).toEqual([]);
    master.signal("SIGTERM");
    expect((await master.waitForExit(15_000)).code).toBe(0);
  }, 30_000);
});
