/**
 * The control plane under hostile input, on every runtime in RUNTIMES: garbage on the control socket,
 * control commands against masters that are gone, silent or garbled, a control socket beside a unix
 * bind, and another local user (created here, unprivileged) who plants directories, fake masters,
 * symbolic links and pidfiles. The last part needs root, as the suite runs in its sandbox.
 */

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  destroyAllMasters,
  FIXTURES,
  freePort,
  get,
  isAlive,
  mgrCommand,
  runMgr,
  RUNTIMES,
  runtimeFamily,
  startServing,
  waitFor,
  getUnix,
} from "./harness.ts";
import { ensureTestAccount } from "./test-account.ts";

const APP = `${FIXTURES}app.ts`;
const IS_ROOT = process.getuid?.() === 0;

let dir: string;
const cleanups: (() => void | Promise<void>)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mgr-control-plane-"));
});
afterEach(async () => {
  await destroyAllMasters();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** One line on stderr, no stack, exit 1. */
function expectOneLineFailure(result: { code: number | null; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr.trim().split("\n"), result.stderr).toHaveLength(1);
  expect(result.stderr).toMatch(/^mgr: error: /);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

/** A pattern matching `text` exactly, anywhere. */
function literal(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
}

/** A raw connection to a control socket that collects reply lines and notices when it is closed. */
class RawClient {
  readonly lines: string[] = [];
  closed = false;
  #partial = "";

  constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      const parts = (this.#partial + chunk.toString("utf8")).split("\n");
      this.#partial = parts.pop()!;
      this.lines.push(...parts);
    });
    socket.on("error", () => {});
    socket.on("close", () => (this.closed = true));
    cleanups.push(() => void socket.destroy());
  }

  static open(path: string): Promise<RawClient> {
    const socket = connect(path);
    return new Promise((resolve, reject) => {
      socket.once("connect", () => resolve(new RawClient(socket)));
      socket.once("error", reject);
    });
  }

  /** Sends `bytes` and waits until a reply line arrives or the connection is closed. */
  async exchange(bytes: string | Buffer): Promise<string | undefined> {
    const before = this.lines.length;
    this.socket.write(bytes);
    await waitFor("a reply or a close", () => this.lines.length > before || this.closed);
    return this.lines[before];
  }
}

describe.each(RUNTIMES)("the control plane on %s", (runtime) => {
  it("answers garbage on the control socket with errors, keeps serving, and still answers mgr status", async () => {
    const pidfile = join(dir, "app.pid");
    const control = join(dir, "app.mgr-control.sock");
    const port = await freePort();
    const master = await startServing(runtime, APP, port, ["-w", "2", "--pid", pidfile]);
    const workers = await master.waitForWorkers(2);

    const garbage: (string | Buffer)[] = [
      "null\n",
      "[]\n",
      '"x"\n',
      "{}\n",
      '{"command":5}\n',
      "42\n",
      "-1e999\n",
      Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x0a]),
      Buffer.from([0, 1, 2, 3, 0x0a]),
      '{"command":"scale","workers":100000}\n',
      '{"command":"scale","workers":0}\n',
      '{"command":"stop","quick":"now"}\n',
      '{"command":"status"\n',
    ];
    for (const bytes of garbage) {
      const client = await RawClient.open(control);
      const reply = await client.exchange(bytes);
      expect(JSON.parse(reply!), String(bytes)).toMatchObject({ ok: false, error: expect.any(String) });
      client.socket.destroy();
    }
    // A line of megabytes with no newline: one error, then the master closes the connection.
    const flooder = await RawClient.open(control);
    flooder.socket.write(Buffer.alloc(2 * 1024 * 1024, "{"));
    await waitFor("the long line to be cut off", () => flooder.closed);
    expect(JSON.parse(flooder.lines[0]!)).toMatchObject({ ok: false, error: expect.stringMatching(/at most 65536 bytes/) });
    // A flood of connections that never send, more than the master serves at once.
    const flood = await Promise.all(Array.from({ length: 40 }, () => RawClient.open(control).catch(() => undefined)));
    await waitFor("the connections past the limit to be turned away", () => flood.filter((c) => c?.closed).length >= 40 - 16);
    for (const client of flood) client?.socket.destroy();
    // Half-open connections that never send stay open while mgr status gets through.
    for (let i = 0; i < 4; i++) await RawClient.open(control);

    expect(master.lines(/Scale to/)).toEqual([]);
    expect(master.workers()).toEqual(workers);
    expect((await get(port, "/", { fresh: true })).status).toBe(200);
    const status = await waitFor("mgr status once the flood is gone", async () => {
      const result = await runMgr(runtime, ["status", "--pid", pidfile]);
      return result.code === 0 ? result : undefined;
    });
    expect(status.stdout).toContain(`master ${master.pid}`);
    expect(isAlive(master.pid)).toBe(true);
  });

  it("prints one line and exits 1 when the master is gone, silent, cut off or garbled", async () => {
    const pidfile = join(dir, "app.pid");
    const port = await freePort();
    const master = await startServing(runtime, APP, port, ["-w", "1", "--pid", pidfile]);
    master.signal("SIGTERM");
    expect((await master.waitForExit()).code).toBe(0);
    expectOneLineFailure(await runMgr(runtime, ["status", "--pid", pidfile]), /no master answers on .*app\.mgr-control\.sock; is it running\?/);

    const answers: [string, (socket: Socket) => void, RegExp][] = [
      ["silent", () => {}, /the master did not answer within 5 s on /],
      ["cut off", (socket) => socket.end('{"ok":tr'), /the master closed the connection on .* before answering/],
      ["not JSON", (socket) => socket.write("<html>502 Bad Gateway</html>\n"), /the master's reply is not JSON/],
      ["malformed status", (socket) => socket.write('{"ok":true,"status":[]}\n'), /the master's status reply is malformed/],
    ];
    // Side by side: the silent one waits out the client's 5 s.
    await Promise.all(answers.map(async ([, behave, message], i) => {
      const fake = join(dir, `fake-${i}.sock`);
      const server = await listenFake(fake, behave);
      const result = await runMgr(runtime, ["status", "--control", fake]);
      await server.close();
      expectOneLineFailure(result, message);
    }));
  });

  it("puts the control socket beside the pidfile under a name that leaves app.sock to the app", async () => {
    const pidfile = join(dir, "app.pid");
    const appSocket = join(dir, "app.sock");
    const port = await freePort();
    if (runtimeFamily(runtime) !== "node") {
      // Unix binds need Node; elsewhere the control socket's name is what there is to check.
      const master = await startServing(runtime, APP, port, ["-w", "1", "--pid", pidfile]);
      const control = lstatSync(join(dir, "app.mgr-control.sock"));
      expect(control.isSocket()).toBe(true);
      expect(control.mode & 0o777).toBe(0o600);
      expect(existsSync(appSocket)).toBe(false);
      master.signal("SIGTERM");
      expect((await master.waitForExit()).code).toBe(0);
      return;
    }
    const clash = await runMgr(runtime, [APP, "--pid", pidfile, "-b", `unix:${join(dir, "app.mgr-control.sock")}`]);
    expect(clash.code).toBe(2);
    expect(clash.stderr.trim().split("\n")).toHaveLength(1);
    expect(clash.stderr).toContain("that is where the master's control socket goes");

    const master = await startServing(runtime, APP, port, ["-w", "2", "--pid", pidfile, "-b", `unix:${appSocket}`]);
    expect(lstatSync(join(dir, "app.mgr-control.sock")).mode & 0o777).toBe(0o600);
    const body = await getUnix(appSocket, "/pid");
    expect(master.workers()).toContain(Number(body));
    const status = await runMgr(runtime, ["status", "--pid", pidfile]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`master ${master.pid}`);
    const stop = await runMgr(runtime, ["stop", "--pid", pidfile]);
    expect(stop.stdout).toContain("Stopped");
    expect((await master.waitForExit()).code).toBe(0);
    expect(existsSync(appSocket)).toBe(false);
    expect(existsSync(join(dir, "app.mgr-control.sock"))).toBe(false);
  });

  describe.runIf(IS_ROOT)("against another local user", () => {
    let other: { uid: number; gid: number; home: string };
    let shared: string;
    beforeEach(() => {
      other = otherUser();
      // A test-specific TMPDIR that behaves as /tmp does (everyone may create, the sticky bit keeps
      // each one's files their own), so the real /tmp/mgr-UID is never touched.
      shared = join(dir, "tmp");
      mkdirSync(shared);
      chmodSync(dir, 0o755);
      chmodSync(shared, 0o1777);
    });

    it("refuses a pre-created 0777 /tmp/mgr-UID with a fake master in it, in the master and in mgr status and stop", async () => {
      const port = await freePort();
      const uid = process.getuid!();
      const privateDir = join(shared, `mgr-${uid}`);
      const socket = join(privateDir, `127.0.0.1_${port}.sock`);
      const fake = startFakeMaster(other, socket, { directoryMode: 0o777 });
      await fake.listening;
      expect(lstatSync(privateDir).uid).toBe(other.uid);

      const env = { TMPDIR: shared, XDG_RUNTIME_DIR: "" };
      const master = await startServing(runtime, APP, port, ["-w", "1"], env);
      const refusal = await master.waitForLine(/Refusing to put the control socket/);
      expect(refusal).toContain(`${privateDir} belongs to uid ${other.uid}, not to uid ${uid}`);

      const address = ["-b", `127.0.0.1:${port}`];
      const status = await runMgr(runtime, ["status", ...address], { env });
      expectOneLineFailure(status, literal(`refusing to talk to ${socket}: ${privateDir} belongs to uid ${other.uid}, not to uid ${uid}, so another user could answer in the master's place`));
      const stop = await runMgr(runtime, ["stop", ...address], { env });
      expectOneLineFailure(stop, /refusing to talk to/);
      expect(stop.stdout).not.toContain("Stopped");
      expect(fake.connections()).toBe(0);
      expect((await get(port, "/", { fresh: true })).status).toBe(200);
      expect(isAlive(master.pid)).toBe(true);
    });

    it("refuses a fake master's socket planted beside the pidfile, in the master and in mgr status", async () => {
      const run = join(shared, "run");
      mkdirSync(run);
      chmodSync(run, 0o1777);
      const pidfile = join(run, "app.pid");
      const socket = join(run, "app.mgr-control.sock");
      const fake = startFakeMaster(other, socket);
      await fake.listening;

      const port = await freePort();
      const master = await startServing(runtime, APP, port, ["-w", "1", "--pid", pidfile]);
      expect(await master.waitForLine(/Refusing to put the control socket/)).toContain(`${socket} exists and belongs to uid ${other.uid}`);
      expect(readFileSync(pidfile, "utf8").trim()).toBe(String(master.pid));
      const status = await runMgr(runtime, ["status", "--pid", pidfile]);
      expectOneLineFailure(status, literal(`refusing to talk to ${socket}: it belongs to uid ${other.uid}, not to you (uid 0); run as the user that started the master`));
      expect(fake.connections()).toBe(0);
    });

    it("tells another user who asks the master that permission is denied", async () => {
      const port = await freePort();
      const env = { TMPDIR: shared, XDG_RUNTIME_DIR: "" };
      await startServing(runtime, APP, port, ["-w", "1"], env);
      const socket = join(shared, `mgr-${process.getuid!()}`, `127.0.0.1_${port}.sock`);
      const result = await runAsOther(other, runtime, ["status", "--control", socket]);
      expectOneLineFailure(result, literal(`permission denied on ${socket}; run as the user that started the master`));
    });

    it("writes the pidfile through nothing planted: links at its temporary names and at its own name", async () => {
      const run = join(shared, "run");
      mkdirSync(run);
      chmodSync(run, 0o1777);
      const victim = join(dir, "victim");
      writeFileSync(victim, "precious\n");
      const pidfile = join(run, "app.pid");
      // The other user links the pidfile and its temporary name for each of the next pids to a file
      // of root's: an earlier mgr wrote `<pidfile>.<pid>.tmp`, following such a link.
      const first = Number(readFileSync("/proc/sys/kernel/ns_last_pid", "utf8")) + 1;
      const count = 3000;
      execAsOther(other, process.execPath, [
        "-e",
        `const fs = require("fs"); const [pidfile, victim, first, count] = process.argv.slice(1);
         fs.symlinkSync(victim, pidfile);
         for (let pid = +first; pid < +first + +count; pid++) fs.symlinkSync(victim, pidfile + "." + pid + ".tmp");`,
        pidfile,
        victim,
        String(first),
        String(count),
      ]);

      const master = await startServing(runtime, APP, await freePort(), ["-w", "1", "--pid", pidfile]);
      expect(master.pid, "the master's pid is among those planted").toBeGreaterThanOrEqual(first);
      expect(master.pid, "the master's pid is among those planted").toBeLessThan(first + count);
      expect(readFileSync(victim, "utf8")).toBe("precious\n");
      expect(lstatSync(`${pidfile}.${master.pid}.tmp`).isSymbolicLink()).toBe(true);
      const written = lstatSync(pidfile);
      expect(written.isFile()).toBe(true);
      expect(written.uid).toBe(0);
      expect(readFileSync(pidfile, "utf8")).toBe(`${master.pid}\n`);
    });

    it("takes over a pidfile naming a live process that is not an mgr master: another user's, and pid 1", async () => {
      const sleeper = spawnAsOther(other, "sleep", ["60"]);
      cleanups.push(() => void sleeper.kill("SIGKILL"));
      await waitFor("the other user's process", () => readProcStatus(sleeper.pid!)?.includes(`Uid:\t${other.uid}`));
      for (const pid of [sleeper.pid!, 1]) {
        const pidfile = join(dir, `app-${pid}.pid`);
        writeFileSync(pidfile, `${pid}\n`);
        const master = await startServing(runtime, APP, await freePort(), ["-w", "1", "--pid", pidfile]);
        expect(master.lines(/\[WARNING\] Pidfile/)).toEqual([
          expect.stringContaining(`Pidfile ${pidfile} names PID ${pid}, which is alive but not an mgr master; taking the pidfile over`),
        ]);
        expect(readFileSync(pidfile, "utf8")).toBe(`${master.pid}\n`);
        master.signal("SIGTERM");
        expect((await master.waitForExit()).code).toBe(0);
      }
      expect(isAlive(sleeper.pid!)).toBe(true);
    });
  });
});

/** A server at `path` in this process that does `behave` with each connection once it has sent something. */
async function listenFake(path: string, behave: (socket: Socket) => void): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("data", () => behave(socket));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  let closed: Promise<void> | undefined;
  const close = () => {
    for (const socket of sockets) socket.destroy();
    return (closed ??= new Promise<void>((resolve) => server.close(() => resolve())));
  };
  cleanups.push(close);
  return { close };
}

const OTHER_USER = "mgr-test-other";

/** The unprivileged user the attacks run as, created on first use, with a home of its own for this test. */
function otherUser(): { uid: number; gid: number; home: string } {
  const { uid, gid } = ensureTestAccount(OTHER_USER);
  const home = join(dir, "home");
  mkdirSync(home);
  execFileSync("chown", [`${uid}:${gid}`, home]);
  return { uid, gid, home };
}

function setprivArgs(user: { uid: number; gid: number }): string[] {
  return [`--reuid=${user.uid}`, `--regid=${user.gid}`, "--clear-groups", "--"];
}

function userEnv(user: { home: string }): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: user.home, DENO_DIR: join(user.home, "deno") };
}

function execAsOther(user: { uid: number; gid: number; home: string }, command: string, args: string[]): void {
  execFileSync("setpriv", [...setprivArgs(user), command, ...args], { env: userEnv(user), stdio: "pipe" });
}

function spawnAsOther(user: { uid: number; gid: number; home: string }, command: string, args: string[]): ChildProcess {
  // setpriv execs the command, so the child's pid is the command's.
  return spawn("setpriv", [...setprivArgs(user), command, ...args], { env: userEnv(user), stdio: ["ignore", "pipe", "pipe"] });
}

/** Runs `mgr ARGS` on `runtime` as the other user and collects its output. */
function runAsOther(
  user: { uid: number; gid: number; home: string },
  runtime: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn("setpriv", [...setprivArgs(user), ...mgrCommand(runtime), ...args], {
    env: userEnv(user),
    stdio: ["ignore", "pipe", "pipe"],
  });
  cleanups.push(() => void child.kill("SIGKILL"));
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stdout, stderr })));
}

/**
 * A fake master run by the other user at `path`: it answers every line with a made-up status and
 * counts connections. With `directoryMode`, it first makes the socket's directory with that mode.
 */
function startFakeMaster(user: { uid: number; gid: number; home: string }, path: string, { directoryMode }: { directoryMode?: number } = {}) {
  const script = `
    const fs = require("fs"), net = require("net"), path = require("path");
    const [socket, mode] = process.argv.slice(1);
    if (mode) { fs.mkdirSync(path.dirname(socket)); fs.chmodSync(path.dirname(socket), Number(mode)); }
    const status = { pid: 4242, runtime: "fake", workers: 9, startedAt: 0, now: 0, pool: [] };
    net.createServer((c) => {
      console.log("connection");
      c.on("error", () => {});
      c.on("data", () => c.write(JSON.stringify({ ok: true, status }) + "\\n"));
    }).listen(socket, () => { fs.chmodSync(socket, 0o777); console.log("listening"); });`;
  const child = spawnAsOther(user, process.execPath, ["-e", script, path, directoryMode === undefined ? "" : String(directoryMode)]);
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  cleanups.push(() => void child.kill("SIGKILL"));
  return {
    listening: waitFor(`the fake master to listen\n${output}`, () => output.includes("listening")),
    connections: () => output.split("\n").filter((line) => line === "connection").length,
  };
}

function readProcStatus(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
}
