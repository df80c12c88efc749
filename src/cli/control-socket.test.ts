import { chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULTS, MAX_WORKERS, type Config } from "../core/config.ts";
import { createLogger } from "../core/logger.ts";
import type { StatusReport } from "../core/supervisor.ts";
import { formatMode } from "../runtime/private-directory.ts";
import { waitFor } from "../../test/behaviour/harness.ts";
import {
  CONTROL_SOCKET_SUFFIX,
  type ControlServerOptions,
  controlSocketLocation,
  controlSocketPathProblem,
  type ControlTarget,
  MAX_CONTROL_LINE_BYTES,
  startControlServer,
} from "./control-socket.ts";

const STATUS: StatusReport = {
  pid: 4242, runtime: "node 20", phase: "running", workers: 2, ready: 0, maxRssBytes: 0, startedAt: 0, now: 1_000, pool: [],
};

/** A supervisor that records what it is asked to do. */
function stubSupervisor(): ControlTarget & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    status: () => STATUS,
    reload: () => void calls.push("reload"),
    scale: (workers) => void calls.push(`scale ${workers}`),
    stop: (options) => (calls.push(`stop graceful=${options?.graceful}`), new Promise<number>(() => {})),
  };
}

let dir: string;
let path: string;
let logLines: string[];
let supervisor: ReturnType<typeof stubSupervisor>;
let stopServer: (() => Promise<void>) | undefined;
const clients = new Set<Socket>();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mgr-control-"));
  path = join(dir, `app${CONTROL_SOCKET_SUFFIX}`);
  logLines = [];
  supervisor = stubSupervisor();
});
afterEach(async () => {
  for (const client of clients) client.destroy();
  clients.clear();
  await stopServer?.();
  stopServer = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function start(options: ControlServerOptions = {}): Promise<void> {
  const log = createLogger({ level: "debug", pid: 1, write: (line) => logLines.push(line) });
  const server = await startControlServer({ path, privateDirectory: false }, supervisor, log, options);
  stopServer = () => server.close();
}

/** A client connection that collects reply lines and notices when the server closes it. */
class Client {
  readonly lines: string[] = [];
  closed = false;
  #partial = "";

  constructor(readonly socket: Socket) {
    clients.add(socket);
    socket.on("data", (chunk: Buffer) => {
      const parts = (this.#partial + chunk.toString("utf8")).split("\n");
      this.#partial = parts.pop()!;
      this.lines.push(...parts);
    });
    socket.on("error", () => {});
    socket.on("close", () => (this.closed = true));
  }

  static async open(): Promise<Client> {
    const socket = connect(path);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return new Client(socket);
  }

  send(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  /** Waits for the `count`th reply and returns it parsed. */
  async reply(count = this.lines.length + 1): Promise<{ ok: boolean; error?: string; status?: StatusReport }> {
    const line = await waitFor(`reply ${count}`, () => this.lines[count - 1], { timeoutMs: 5_000 });
    return JSON.parse(line);
  }

  waitClosed(): Promise<true> {
    return waitFor("the server to close the connection", () => this.closed, { timeoutMs: 5_000 });
  }
}

/** Sends `bytes` and a newline on a new connection, and returns the one reply. */
async function ask(bytes: string | Buffer): Promise<{ ok: boolean; error?: string; status?: StatusReport }> {
  const client = await Client.open();
  client.send(Buffer.concat([Buffer.from(bytes), Buffer.from("\n")]));
  return client.reply();
}

describe("controlSocketLocation", () => {
  const config = { ...DEFAULTS, app: "app.ts", workers: 1 } as Config;

  it("puts the socket beside the pidfile under a name no app binds by habit", () => {
    expect(controlSocketLocation({ ...config, pidfile: "/srv/run/app.pid" }, {})).toEqual({
      path: "/srv/run/app.mgr-control.sock",
      privateDirectory: false,
    });
    expect(controlSocketLocation({ ...config, pidfile: "/srv/run/app.pid" }, {}).path).not.toBe("/srv/run/app.sock");
  });

  it("puts it in mgr's own directory otherwise, named after the name or the first address", () => {
    const uid = process.getuid!();
    expect(controlSocketLocation({ ...config, name: "api" }, { XDG_RUNTIME_DIR: "/run/user/7" })).toEqual({
      path: "/run/user/7/mgr/api.sock",
      privateDirectory: true,
    });
    expect(controlSocketLocation(config, {}).path).toBe(join(tmpdir(), `mgr-${uid}`, "127.0.0.1_8000.sock"));
  });
});

describe("controlSocketPathProblem", () => {
  const config = { ...DEFAULTS, app: "app.ts", workers: 1 } as Config;
  const deep = `/srv/${"d".repeat(90)}`;

  it("says nothing of a path a unix socket can have", () => {
    expect(controlSocketPathProblem(controlSocketLocation({ ...config, pidfile: "/srv/run/app.pid" }, {}))).toBeUndefined();
    expect(controlSocketPathProblem({ path: `/${"a".repeat(106)}`, privateDirectory: false })).toBeUndefined();
  });

  it("names a path too long for a unix socket, its length, the limit and the fix: a shorter --pid directory", () => {
    const location = controlSocketLocation({ ...config, pidfile: `${deep}/node.pid` }, {});
    expect(controlSocketPathProblem(location)).toBe(
      `the control socket path ${deep}/node.mgr-control.sock is 117 bytes, over the 107 a unix socket's path may have: ` +
        "put the pidfile (--pid) in a shorter directory",
    );
  });

  it("says to choose a shorter --name for a socket in mgr's own directory", () => {
    const location = controlSocketLocation({ ...config, name: "n".repeat(100) }, { XDG_RUNTIME_DIR: "/run/user/7" });
    expect(controlSocketPathProblem(location)).toMatch(/is 121 bytes, over the 107 .*: give the master a shorter --name$/);
  });
});

describe("startControlServer", () => {
  it("refuses a path too long for a unix socket and creates nothing, not even under the name cut short", async () => {
    const deep = join(dir, "d".repeat(90));
    mkdirSync(deep);
    const location = { path: join(deep, `node${CONTROL_SOCKET_SUFFIX}`), privateDirectory: false };
    const log = createLogger({ level: "debug", pid: 1, write: () => {} });
    await expect(startControlServer(location, stubSupervisor(), log)).rejects.toThrow(controlSocketPathProblem(location)!);
    expect(readdirSync(deep)).toEqual([]);
  });

  it("refuses to move to a path too long for a unix socket, and creates nothing there", async () => {
    const deep = join(dir, "d".repeat(90));
    mkdirSync(deep);
    const log = createLogger({ level: "debug", pid: 1, write: () => {} });
    const server = await startControlServer({ path, privateDirectory: false }, supervisor, log);
    stopServer = () => server.close();
    const to = join(deep, `node.pid.oldbin${CONTROL_SOCKET_SUFFIX}`);
    await expect(server.moveTo(to)).rejects.toThrow(controlSocketPathProblem({ path: to, privateDirectory: false })!);
    expect(readdirSync(deep)).toEqual([]);
  });

  it("creates the socket with mode 0600 and answers status", async () => {
    await start();
    expect(formatMode(lstatSync(path).mode)).toBe("0600");
    expect(await ask('{"command":"status"}')).toEqual({ ok: true, status: STATUS });
  });

  it("drives the supervisor's reload, scale and stop", async () => {
    await start();
    expect(await ask('{"command":"reload"}')).toEqual({ ok: true });
    expect(await ask('{"command":"scale","workers":4}')).toEqual({ ok: true });
    expect(await ask(`{"command":"scale","workers":${MAX_WORKERS}}`)).toEqual({ ok: true });
    expect(await ask('{"command":"stop","quick":true}')).toEqual({ ok: true });
    expect(await ask('{"command":"stop"}')).toEqual({ ok: true });
    expect(supervisor.calls).toEqual(["reload", "scale 4", `scale ${MAX_WORKERS}`, "stop graceful=false", "stop graceful=true"]);
  });

  // Each is one line a client might send: the master answers one line of error and does nothing.
  const MALFORMED: [string, string | Buffer, RegExp][] = [
    ["null", "null", /a request is a JSON object, got null/],
    ["an array", "[]", /a request is a JSON object, got \[\]/],
    ["a string", '"x"', /a request is a JSON object, got "x"/],
    ["a number", "42", /a request is a JSON object, got 42/],
    ["a huge number", "1e999", /a request is a JSON object/],
    ["a boolean", "true", /a request is a JSON object, got true/],
    ["an empty object", "{}", /unknown command \(none\); expected status, reload, scale or stop/],
    ["a numeric command", '{"command":5}', /unknown command 5;/],
    ["an unknown command", '{"command":"rm -rf"}', /unknown command "rm -rf";/],
    ["a prototype's name as command", '{"command":"constructor"}', /unknown command "constructor";/],
    ["a command hidden in __proto__", '{"__proto__":{"command":"stop"}}', /unknown command \(none\)/],
    ["truncated JSON", '{"command":"status"', /a request is one JSON object per line/],
    ["an empty line", "", /a request is one JSON object per line, got ""/],
    ["NUL and control bytes", Buffer.from([0, 1, 2, 27, 127]), /a request is one JSON object per line/],
    ["invalid UTF-8", Buffer.from([0xff, 0xfe, 0xc3, 0x28]), /a request is UTF-8 text/],
    ["scale with no count", '{"command":"scale"}', new RegExp(`scale needs workers, an integer from 1 to ${MAX_WORKERS}, got nothing`)],
    ["scale to zero", '{"command":"scale","workers":0}', new RegExp(`from 1 to ${MAX_WORKERS}, got 0`)],
    ["scale below zero", '{"command":"scale","workers":-3}', /got -3/],
    ["scale to a fraction", '{"command":"scale","workers":2.5}', /got 2\.5/],
    ["scale to a string", '{"command":"scale","workers":"4"}', /got "4"/],
    ["scale past the bound", '{"command":"scale","workers":100000}', new RegExp(`from 1 to ${MAX_WORKERS}, got 100000`)],
    ["scale one past the bound", `{"command":"scale","workers":${MAX_WORKERS + 1}}`, new RegExp(`got ${MAX_WORKERS + 1}`)],
    ["stop with a non-boolean quick", '{"command":"stop","quick":"yes"}', /stop takes quick, true or false, got "yes"/],
    ["a very long command", JSON.stringify({ command: "x".repeat(10_000) }), /unknown command "x{30,}…;/],
  ];

  it.each(MALFORMED)("answers %s with one line of error and leaves the supervisor alone", async (_, bytes, error) => {
    await start();
    const client = await Client.open();
    client.send(Buffer.concat([Buffer.from(bytes), Buffer.from("\n")]));
    const reply = await client.reply(1);
    expect(reply.ok).toBe(false);
    expect(reply.error).toMatch(error);
    expect(reply.error!.length).toBeLessThan(200);
    expect(supervisor.calls).toEqual([]);
    // The same connection goes on working.
    client.send('{"command":"status"}\n');
    expect(await client.reply(2)).toEqual({ ok: true, status: STATUS });
    expect(client.lines).toHaveLength(2);
  });

  it("logs one warning per connection, however many bad requests it sends", async () => {
    await start();
    const client = await Client.open();
    client.send("null\n[]\n{}\n");
    await client.reply(3);
    expect(logLines.filter((line) => line.includes("[WARNING] Refused a control request"))).toEqual([
      expect.stringContaining("a request is a JSON object, got null"),
    ]);
  });

  it("answers requests sent together in one write, and one split across many writes", async () => {
    await start();
    const client = await Client.open();
    client.send('{"command":"status"}\n{"command":"reload"}\n');
    expect(await client.reply(1)).toEqual({ ok: true, status: STATUS });
    expect(await client.reply(2)).toEqual({ ok: true });
    for (const piece of ['{"comm', 'and":"sc', 'ale","workers"', ":3}", "\n"]) client.send(piece);
    expect(await client.reply(3)).toEqual({ ok: true });
    expect(supervisor.calls).toEqual(["reload", "scale 3"]);
  });

  it("closes a connection that sends megabytes without a newline, after one line of error", async () => {
    await start();
    const client = await Client.open();
    client.send(Buffer.alloc(4 * 1024 * 1024, "a"));
    await client.waitClosed();
    expect(client.lines.map((line) => JSON.parse(line))).toEqual([
      { ok: false, error: `a request line is at most ${MAX_CONTROL_LINE_BYTES} bytes; closing` },
    ]);
    expect(await ask('{"command":"status"}')).toEqual({ ok: true, status: STATUS });
  });

  it("closes a connection whose line is over the limit even when a newline ends it", async () => {
    await start({ maxLineBytes: 1024 });
    const client = await Client.open();
    client.send(`{"command":"status","pad":"${"p".repeat(2000)}"}\n{"command":"reload"}\n`);
    await client.waitClosed();
    expect(JSON.parse(client.lines[0]!)).toEqual({ ok: false, error: "a request line is at most 1024 bytes; closing" });
    expect(supervisor.calls).toEqual([]);
  });

  it("serves a bounded number of connections at once and turns the rest away with an error", async () => {
    await start({ maxConnections: 4 });
    const held = await Promise.all(Array.from({ length: 4 }, () => Client.open()));
    // Each of the four is being served before the flood arrives.
    for (const client of held) client.send('{"command":"status"}\n');
    await Promise.all(held.map((client) => client.reply(1)));
    const flood = await Promise.all(Array.from({ length: 20 }, () => Client.open()));
    await Promise.all(flood.map((client) => client.waitClosed()));
    for (const client of flood) {
      expect(client.lines.map((line) => JSON.parse(line))).toEqual([
        { ok: false, error: "too many control connections (at most 4); try again" },
      ]);
    }
    for (const client of held) client.socket.destroy();
    await waitFor("a free connection slot", async () => (await ask('{"command":"status"}')).ok);
  });

  it("closes a connection that never sends a request, and one that goes quiet after a request", async () => {
    await start({ idleTimeoutMs: 200 });
    const silent = await Client.open();
    const quiet = await Client.open();
    quiet.send('{"command":"status"}\n');
    await silent.waitClosed();
    await quiet.waitClosed();
    expect(JSON.parse(silent.lines[0]!)).toEqual({ ok: false, error: "no request for 200 ms; closing" });
    expect(quiet.lines).toHaveLength(2);
  });

  it("keeps a connection that asked to stop open past the idle limit, for the client waiting on the exit", async () => {
    await start({ idleTimeoutMs: 100 });
    const stopping = await Client.open();
    stopping.send('{"command":"stop"}\n');
    await stopping.reply(1);
    // Two idle periods, each started after the stop was answered, measured by connections the same
    // timer closes.
    for (let period = 0; period < 2; period++) await (await Client.open()).waitClosed();
    expect(stopping.closed).toBe(false);
  });

  it("ends every connection and removes the socket when closed", async () => {
    await start();
    const client = await Client.open();
    await stopServer!();
    stopServer = undefined;
    await client.waitClosed();
    expect(() => lstatSync(path)).toThrow(/ENOENT/);
  });

  it("replaces a stale socket left by a master that was killed", async () => {
    // A process killed while listening leaves its socket file behind, with nobody listening.
    expect(() =>
      execFileSync(process.execPath, ["-e", `require("net").createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, "SIGKILL"))`])
    ).toThrow();
    expect(lstatSync(path).isSocket()).toBe(true);
    await start();
    expect(await ask('{"command":"status"}')).toEqual({ ok: true, status: STATUS });
  });

  it("refuses to start when another master listens at the path", async () => {
    await start();
    const log = createLogger({ level: "debug", pid: 1, write: () => {} });
    await expect(startControlServer({ path, privateDirectory: false }, stubSupervisor(), log)).rejects.toThrow(
      `another master is listening on ${path}`,
    );
  });

  it("refuses a file planted at the socket's path, and leaves it there", async () => {
    writeFileSync(path, "planted");
    await expect(start()).rejects.toThrow(`${path} exists and is not a socket; remove it`);
    expect(lstatSync(path).isFile()).toBe(true);
  });

  it.runIf(process.getuid?.() === 0)("refuses a socket file that belongs to another user", async () => {
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(path, resolve));
    chownSync(path, 4242, 4242);
    await expect(start()).rejects.toThrow(`${path} exists and belongs to uid 4242; remove it`);
    await new Promise<void>((resolve) => other.close(() => resolve()));
  });
});
