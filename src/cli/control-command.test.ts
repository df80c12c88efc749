import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAX_WORKERS } from "../core/config.ts";
import type { Runtime } from "../core/runtime.ts";
import type { StatusReport } from "../core/supervisor.ts";
import type { CliCommand, ControlCommand } from "./args.ts";
import { formatDuration, formatStatus, runControlCommand } from "./control-command.ts";
import type { ResolvedConfig } from "./resolve-config.ts";
import { UsageError } from "./usage-error.ts";

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

type PoolEntry = StatusReport["pool"][number];

function worker(overrides: Partial<PoolEntry>): PoolEntry {
  return {
    id: 1,
    pid: 2000,
    state: "ready",
    retiring: false,
    spare: false,
    generation: 0,
    slot: 1,
    spawnedAt: NOW - 65_000,
    readyAt: NOW - 64_000,
    lastSeen: NOW - 500,
    served: 0,
    inFlight: 0,
    rss: 0,
    restarts: 0,
    ageMs: 65_000,
    responsive: true,
    ...overrides,
  };
}

const STATUS: StatusReport = {
  pid: 1000,
  runtime: "node 20.20.2",
  phase: "running",
  workers: 2,
  ready: 2,
  maxRssBytes: 0,
  startedAt: NOW - (3 * 3600 + 2 * 60 + 5) * 1000,
  now: NOW,
  pool: [
    worker({ id: 1, pid: 2001, slot: 1, served: 120, inFlight: 3, rss: 50 * 1024 * 1024 }),
    worker({
      id: 4,
      pid: 2005,
      slot: 2,
      retiring: true,
      spawnedAt: NOW - 42_000,
      served: 5,
      rss: 1.25 * 1024 * 1024,
      restarts: 2,
      lastExit: "exited with code 1 (ready)",
    }),
    worker({ id: 5, pid: 2006, slot: 2, state: "booting", spawnedAt: NOW - 1_500, readyAt: undefined, restarts: 3 }),
    worker({ id: 6, pid: 2007, slot: 1, state: "draining", spawnedAt: NOW - 7_200_000, served: 10_000 }),
    worker({ id: 7, pid: 2008, slot: undefined, spare: true, state: "booting", spawnedAt: NOW - 3_000, readyAt: undefined }),
  ],
};

describe("formatStatus", () => {
  it("renders the master and one aligned row per worker", () => {
    expect(formatStatus(STATUS)).toBe(
      [
        "master 1000 (node 20.20.2), up 3h 2m, 2 workers wanted, 2 ready",
        "SLOT  PID   STATE     AGE    SERVED  IN-FLIGHT  RSS      RESTARTS  LAST EXIT",
        "1     2001  ready     1m 5s  120     3          50.0 MB  0         -",
        "2     2005  retiring  42s    5       0          1.3 MB   2         exited with code 1 (ready)",
        "2     2006  booting   1s     0       0          -        3         -",
        "1     2007  draining  2h 0m  10000   0          -        0         -",
        "-     2008  spare     3s     0       0          -        0         -",
        "",
      ].join("\n"),
    );
  });

  it("says worker for a pool of one and prints only the header when the pool is empty", () => {
    expect(formatStatus({ ...STATUS, workers: 1, ready: 0, pool: [] })).toBe(
      "master 1000 (node 20.20.2), up 3h 2m, 1 worker wanted, 0 ready\n" +
        "SLOT  PID  STATE  AGE  SERVED  IN-FLIGHT  RSS  RESTARTS  LAST EXIT\n",
    );
  });

  it("shows a retiring worker that is still booting as booting", () => {
    const table = formatStatus({ ...STATUS, pool: [worker({ retiring: true, state: "booting" })] });
    expect(table.split("\n")[2]).toBe("1     2000  booting  1m 5s  0       0          -    0         -");
  });
});

describe("formatDuration", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [999, "0s"],
    [1_000, "1s"],
    [42_000, "42s"],
    [59_999, "59s"],
    [60_000, "1m 0s"],
    [65_000, "1m 5s"],
    [3_599_999, "59m 59s"],
    [3_600_000, "1h 0m"],
    [(3 * 3600 + 2 * 60 + 5) * 1000, "3h 2m"],
    [25 * 3_600_000, "25h 0m"],
    [-5_000, "0s"],
  ];

  it.each(cases)("formats %i ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("runControlCommand", () => {
  let dir: string;
  let path: string;
  let server: Server | undefined;
  const accepted = new Set<Socket>();

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mgr-control-command-"));
    path = join(dir, "app.mgr-control.sock");
  });
  afterEach(async () => {
    for (const socket of accepted) socket.destroy();
    accepted.clear();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fake master at `at` that does `behave` with each connection's first line. */
  async function fakeMaster(behave: (socket: Socket, line: string) => void, at = path): Promise<void> {
    server = createServer((socket) => {
      accepted.add(socket);
      let buffer = "";
      socket.on("data", (chunk: Buffer) => {
        buffer += chunk.toString("utf8");
        if (buffer.includes("\n")) behave(socket, buffer.slice(0, buffer.indexOf("\n")));
      });
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => server!.listen(at, resolve));
  }

  /** Runs `mgr <command> --control PATH` and returns its exit code and output. */
  async function run(command: ControlCommand, extra: { count?: string; quick?: boolean; at?: string; json?: boolean; frames?: number } = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const cli = { command, count: extra.count, quick: extra.quick ?? false, json: extra.json ?? false, flags: {}, controlPath: extra.at ?? path } as
      Extract<CliCommand, { command: ControlCommand }>;
    const code = await runControlCommand(cli, {
      env: {},
      cwd: dir,
      stdout: (text) => out.push(text),
      stderr: (text) => err.push(text),
      runtime: {} as Runtime,
      loadConfig: async () => ({ config: {} }) as ResolvedConfig,
      timeoutMs: 200,
      topFrames: extra.frames,
      topIntervalMs: 10,
      stdoutIsTTY: false,
    });
    return { code, stdout: out.join(""), stderr: err.join("") };
  }

  /** Expects exit 1 and exactly `message` as the one line on stderr, nothing on stdout. */
  function expectOneLine(result: { code: number; stdout: string; stderr: string }, message: string): void {
    expect(result).toEqual({ code: 1, stdout: "", stderr: `mgr: error: ${message}\n` });
  }

  const NO_MASTER = "; is it running? Name it the way it was started (--pid, --bind, --name, -c) or give --control PATH";

  it("prints the status as JSON with --json, the document the admin endpoint serves", async () => {
    await fakeMaster((socket) => socket.write(`${JSON.stringify({ ok: true, status: STATUS })}\n`));
    const result = await run("status", { json: true });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(STATUS);
  });

  it("redraws the status in top, with the requests per second between frames", async () => {
    let requests = 0;
    await fakeMaster((socket) => {
      const counters = { requests, latency: [], restarts: { crash: 1, timeout: 0, "boot-failure": 0 }, oomKills: 1,
        recycles: { "max-requests": 0, "max-rss": 2, reload: 0 }, reloads: { complete: 0, abandoned: 0, failed: 0 } };
      socket.write(`${JSON.stringify({ ok: true, status: { ...STATUS, now: STATUS.now + requests * 10, counters } })}\n`);
      requests += 100;
    });
    const result = await run("top", { frames: 2 });
    expect(result.code, result.stderr).toBe(0);
    const frames = result.stdout.split("\n\n").filter(Boolean);
    expect(frames).toHaveLength(2);
    expect(frames[0]).toContain("master 1000 (node 20.20.2)");
    expect(frames[0]).toContain("requests 0 (-/s), restarts 1 (1 OOM), recycles 2, reloads 0; Ctrl-C to quit");
    // 100 requests in 1 s of the master's time.
    expect(frames[1]).toContain("requests 100 (100.0/s)");
  });

  it("prints the status a master answers", async () => {
    await fakeMaster((socket) => socket.write(`${JSON.stringify({ ok: true, status: STATUS })}\n`));
    expect(await run("status")).toEqual({ code: 0, stdout: formatStatus(STATUS), stderr: "" });
  });

  it("waits for the master to close the connection after stop, then says Stopped", async () => {
    await fakeMaster((socket) => socket.end(`${JSON.stringify({ ok: true })}\n`));
    expect(await run("stop")).toEqual({ code: 0, stdout: "Stopping: workers finish their requests…\nStopped\n", stderr: "" });
  });

  it("says in one line that no master answers when there is no socket", async () => {
    expectOneLine(await run("status"), `no master answers on ${path}${NO_MASTER}`);
  });

  it("says the same of a socket left by a master that was killed", async () => {
    expect(() =>
      execFileSync(process.execPath, ["-e", `require("net").createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, "SIGKILL"))`])
    ).toThrow();
    expectOneLine(await run("reload"), `no master answers on ${path}${NO_MASTER}`);
  });

  it("says so in one line when the master does not answer in time", async () => {
    await fakeMaster(() => {});
    expectOneLine(await run("status"), `the master did not answer within 0.2 s on ${path}`);
  });

  it("says so in one line when the master closes the connection mid-answer", async () => {
    await fakeMaster((socket) => socket.end('{"ok":tr'));
    expectOneLine(await run("status"), `the master closed the connection on ${path} before answering`);
  });

  it("says so in one line when the reply is not JSON, or not a reply", async () => {
    await fakeMaster((socket) => socket.write("Traceback (most recent call last):\n"));
    expectOneLine(await run("reload"), `the master's reply is not JSON (on ${path})`);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    await fakeMaster((socket) => socket.write('{"ok":true,"status":{"pid":"x"}}\n'));
    expectOneLine(await run("status"), `the master's status reply is malformed (on ${path})`);
  });

  it("passes the master's refusal on in one line", async () => {
    await fakeMaster((socket) => socket.write('{"ok":false,"error":"nope"}\n'));
    expectOneLine(await run("scale", { count: "3" }), "the master refused: nope");
  });

  it("refuses a scale count outside 1..MAX_WORKERS before asking anything", async () => {
    for (const count of ["0", String(MAX_WORKERS + 1), "100000", "-1", "2.5", "x"]) {
      await expect(run("scale", { count })).rejects.toThrow(new UsageError(`scale needs an integer from 1 to ${MAX_WORKERS}, got "${count}"`));
    }
  });

  it("refuses to talk to a socket in a directory other users can write", async () => {
    const open = join(dir, "open");
    mkdirSync(open);
    chmodSync(open, 0o777);
    const at = join(open, "app.mgr-control.sock");
    await fakeMaster((socket) => socket.write('{"ok":true}\n'), at);
    expectOneLine(
      await run("stop", { at }),
      `refusing to talk to ${at}: ${open} is writable by other users and not sticky (mode 0777), so another user could answer in the master's place`,
    );
  });

  it.runIf(process.getuid?.() === 0)("refuses to talk to a socket that belongs to another user: it could be a fake master", async () => {
    await fakeMaster((socket) => socket.write('{"ok":true}\n'));
    chownSync(path, 4242, 4242);
    expectOneLine(
      await run("stop"),
      `refusing to talk to ${path}: it belongs to uid 4242, not to you (uid 0); run as the user that started the master`,
    );
  });
});
