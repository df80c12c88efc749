import { mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { formatAccessTime } from "../core/access-log-format.ts";
import { ListenError } from "./worker-host.ts";
import { FakeHost, settle, SPEC } from "../../test/support/fake-worker-host.ts";
import { PARENT_LOST_EXIT_MS, PARENT_LOST_GRACE_MS, RSS_CHECK_INTERVAL_MS, runWorker, STOP_ROUND_TRIP_MS } from "./worker-loop.ts";

const okApp = { default: { fetch: () => new Response("ok") } };

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("runWorker", () => {
  it("tells the master each step of its boot, in order", async () => {
    const host = new FakeHost(SPEC, { default: okApp.default, setup: () => {} });
    await runWorker(host);
    const steps = host.sent.flatMap((m) => (m.type === "booting" ? [m.step] : []));
    expect(steps).toEqual(["hooks", "import", "setup", "listen"]);
    expect(host.types().filter((t) => t !== "heartbeat")).toEqual(["booting", "booting", "booting", "booted", "booting", "ready"]);
  });

  it("speaks first, then reports booted, listens and reports ready", async () => {
    const host = new FakeHost(SPEC, okApp);
    await runWorker(host);
    expect(host.sent[0]).toEqual({ type: "heartbeat", served: 0, inFlight: 0, rss: 1234 });
    expect(host.events).toEqual(["booted", "listen", "ready"]);
  });

  it("heartbeats every heartbeatMs with requests served and in flight", async () => {
    const host = new FakeHost(SPEC, okApp);
    await runWorker(host);
    await host.handler!(new Request("http://x/"));
    vi.advanceTimersByTime(999);
    expect(host.types().filter((t) => t === "heartbeat")).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(host.sent.at(-1)).toEqual({
      type: "heartbeat", served: 1, inFlight: 0, rss: 1234, loopDelayMs: expect.any(Number), latency: expect.any(Array),
    });
  });

  it("sends the durations of the requests since the previous heartbeat, and how late its timer fired", async () => {
    const host = new FakeHost(SPEC, okApp);
    await runWorker(host);
    await host.handler!(new Request("http://x/"));
    await host.handler!(new Request("http://x/"));
    vi.advanceTimersByTime(1000);
    const first = host.sent.at(-1) as { latency: number[]; loopDelayMs: number };
    expect(first.latency.reduce((a, b) => a + b, 0)).toBe(2);
    expect(first.loopDelayMs).toBeGreaterThanOrEqual(0);
    vi.advanceTimersByTime(1000);
    expect((host.sent.at(-1) as { latency: number[] }).latency.reduce((a, b) => a + b, 0)).toBe(0);
  });

  it("asks to retire once when its resident memory passes maxRssBytes, naming the figure", async () => {
    const host = new FakeHost({ ...SPEC, maxRssBytes: 1000 }, okApp);
    await runWorker(host);
    for (let i = 0; i < 3; i++) await host.handler!(new Request("http://x/"));
    expect(host.sent.filter((m) => m.type === "retire")).toEqual([{ type: "retire", served: 1, reason: "max-rss", rss: 1234 }]);
  });

  it("tells its last count as it exits after a drain, so no request goes uncounted", async () => {
    const host = new FakeHost(SPEC, okApp);
    await runWorker(host);
    await host.handler!(new Request("http://x/"));
    await host.handler!(new Request("http://x/"));
    host.message({ type: "drain" });
    await settle();
    host.finishDrain();
    await settle();
    expect(host.exitCode).toBe(0);
    const last = host.sent.filter((m) => m.type === "heartbeat").at(-1) as { served: number; latency: number[] };
    expect(last.served).toBe(2);
    expect(last.latency.reduce((a, b) => a + b, 0)).toBe(2);
  });

  it("reads its memory at most every RSS_CHECK_INTERVAL_MS as requests finish, since a read costs as much as a request", async () => {
    const host = new FakeHost({ ...SPEC, maxRssBytes: 1_000_000 }, okApp);
    await runWorker(host);
    const reads = vi.spyOn(host, "rss");
    for (let i = 0; i < 5; i++) await host.handler!(new Request("http://x/"));
    expect(reads).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(RSS_CHECK_INTERVAL_MS);
    await host.handler!(new Request("http://x/"));
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it("waits for serve before listening when booted as a spare", async () => {
    const host = new FakeHost({ ...SPEC, mode: "standby" }, okApp);
    const running = runWorker(host);
    await settle();
    expect(host.events).toEqual(["booted"]);
    host.message({ type: "serve" });
    await running;
    expect(host.events).toEqual(["booted", "listen", "ready"]);
  });

  it("runs setup before listening and teardown after draining", async () => {
    const order: string[] = [];
    const host = new FakeHost(SPEC, {
      default: okApp.default,
      setup: () => void order.push("setup"),
      teardown: () => void order.push("teardown"),
    });
    await runWorker(host);
    expect(order).toEqual(["setup"]);
    host.message({ type: "drain" });
    await settle();
    expect(order).toEqual(["setup"]);
    host.finishDrain();
    await settle();
    expect(order).toEqual(["setup", "teardown"]);
    expect(host.events).toEqual(["booted", "listen", "ready", "drain", "exit 0"]);
  });

  it("reports an app-load error with its stack and exits 4 when the import has no handler", async () => {
    const host = new FakeHost(SPEC, { notDefault: 1 });
    await runWorker(host);
    const error = host.sent.find((m) => m.type === "boot-error");
    expect(error).toMatchObject({ type: "boot-error", kind: "app-load" });
    expect((error as { message: string }).message).toContain("has no default export");
    expect(host.exitCode).toBe(4);
    expect(host.events).not.toContain("listen");
  });

  it("reports an app-load error and exits 4 when setup throws", async () => {
    const host = new FakeHost(SPEC, {
      default: okApp.default,
      setup: () => {
        throw new Error("database down");
      },
    });
    await runWorker(host);
    expect(host.sent.find((m) => m.type === "boot-error")).toMatchObject({ kind: "app-load", message: "database down" });
    expect(host.exitCode).toBe(4);
  });

  it("reports a bind error and exits 3 when it cannot listen", async () => {
    const host = new FakeHost(SPEC, okApp);
    host.listenError = new ListenError({ host: "127.0.0.1", port: 8000 }, "address already in use");
    await runWorker(host);
    expect(host.sent.find((m) => m.type === "boot-error")).toEqual({
      type: "boot-error",
      kind: "bind",
      message: "Cannot listen on 127.0.0.1:8000: address already in use",
    });
    expect(host.exitCode).toBe(3);
  });

  it("asks to retire once, when it has served maxRequests", async () => {
    const host = new FakeHost({ ...SPEC, maxRequests: 3 }, okApp);
    await runWorker(host);
    for (let i = 0; i < 5; i++) await host.handler!(new Request("http://x/"));
    expect(host.sent.filter((m) => m.type === "retire")).toEqual([{ type: "retire", served: 3 }]);
  });

  it("answers 500 and logs the stack when the handler throws", async () => {
    const host = new FakeHost(SPEC, {
      default: () => {
        throw new Error("kaboom");
      },
    });
    await runWorker(host);
    const response = await host.handler!(new Request("http://x/boom"));
    expect(response.status).toBe(500);
    expect(await response.text()).toBe("Internal Server Error");
    expect(host.errors.some((line) => line.includes("GET /boom") && line.includes("kaboom"))).toBe(true);
  });

  it("finishes booting, then exits without listening, when drained while booting", async () => {
    let finishSetup = () => {};
    const host = new FakeHost(SPEC, {
      default: okApp.default,
      setup: () => new Promise<void>((resolve) => (finishSetup = resolve)),
    });
    const running = runWorker(host);
    await settle();
    host.message({ type: "drain" });
    finishSetup();
    await running;
    expect(host.events).toEqual(["booted", "exit 0"]);
  });

  it("drains on SIGTERM and exits at once on stop, SIGINT or SIGQUIT", async () => {
    const drained = new FakeHost(SPEC, okApp);
    await runWorker(drained);
    drained.signal("SIGTERM");
    expect(drained.events.at(-1)).toBe("drain");

    for (const how of ["stop", "SIGINT", "SIGQUIT"]) {
      const host = new FakeHost(SPEC, okApp);
      await runWorker(host);
      if (how === "stop") host.message({ type: "stop" });
      else host.signal(how);
      await settle();
      expect(host.events.at(-1), how).toBe("exit 0");
    }
  });

  describe("told to stop", () => {
    const lifecycle = (order: string[], setup: () => void | Promise<void> = () => {}) => ({
      default: okApp.default,
      setup: () => (order.push("setup"), setup()),
      teardown: () => void order.push("teardown"),
    });

    it("exits at once, skipping teardown, while serving (a quick shutdown)", async () => {
      const order: string[] = [];
      const host = new FakeHost(SPEC, lifecycle(order));
      await runWorker(host);
      host.message({ type: "stop" });
      await settle();
      expect(order).toEqual(["setup"]);
      // It closes its server and hears from the master first, so no connection handed over meanwhile is lost.
      expect(host.events).toEqual(["booted", "listen", "ready", "close", "round-trip", "exit 0"]);
    });

    it("exits after STOP_ROUND_TRIP_MS even if the master never answers its ping", async () => {
      const host = new FakeHost(SPEC, okApp);
      host.roundTrip = () => new Promise(() => {});
      await runWorker(host);
      host.message({ type: "stop" });
      await settle();
      expect(host.events.at(-1)).toBe("close");
      vi.advanceTimersByTime(STOP_ROUND_TRIP_MS);
      await settle();
      expect(host.events.at(-1)).toBe("exit 0");
    });

    it("tears down, then exits, as a spare waiting to serve", async () => {
      const order: string[] = [];
      const host = new FakeHost({ ...SPEC, mode: "standby" }, lifecycle(order));
      const running = runWorker(host);
      await settle();
      expect(host.events).toEqual(["booted"]);
      host.message({ type: "stop" });
      await running;
      expect(order).toEqual(["setup", "teardown"]);
      expect(host.events).toEqual(["booted", "exit 0"]);
    });

    it("exits at once, with nothing to tear down, while its setup is still running", async () => {
      const order: string[] = [];
      const host = new FakeHost(SPEC, lifecycle(order, () => new Promise<void>(() => {})));
      void runWorker(host);
      await settle();
      host.message({ type: "stop" });
      expect(order).toEqual(["setup"]);
      expect(host.events).toEqual(["exit 0"]);
    });
  });

  describe("on a message it does not know", () => {
    it("logs it, ignores it and keeps serving", async () => {
      const host = new FakeHost(SPEC, okApp);
      await runWorker(host);
      const unknown = [{ type: "restart" }, { type: "stop ", now: true }, { type: 7 }, { kind: "stop" }, "stop", null, 42];
      for (const message of unknown) host.message(message);
      await settle();
      expect(host.exitCode).toBeUndefined();
      expect(host.events).toEqual(["booted", "listen", "ready"]);
      const warnings = host.errors.filter((line) => line.includes("[WARNING] Ignoring a message the worker does not know"));
      expect(warnings).toHaveLength(unknown.length);
      expect(warnings[0]).toContain(`{"type":"restart"}`);
      expect((await host.handler!(new Request("http://x/"))).status).toBe(200);
    });

    it("cuts a long message short in the log", async () => {
      const host = new FakeHost(SPEC, okApp);
      await runWorker(host);
      host.message({ type: "x".repeat(10_000) });
      expect(host.errors.join("").length).toBeLessThan(1_000);
    });
  });

  describe("on a signal meant for the master", () => {
    it("survives HUP, USR2, TTIN, TTOU and WINCH, logging the operator's ones, and keeps serving", async () => {
      const host = new FakeHost(SPEC, okApp);
      await runWorker(host);
      for (const signal of ["SIGHUP", "SIGUSR2", "SIGTTIN", "SIGTTOU", "SIGWINCH"]) host.signal(signal);
      await settle();
      expect(host.exitCode).toBeUndefined();
      expect(host.events).toEqual(["booted", "listen", "ready"]);
      expect(host.errors.filter((line) => line.includes("[INFO] Worker ignores"))).toHaveLength(4);
      expect((await host.handler!(new Request("http://x/"))).status).toBe(200);
    });

    it("reopens its logs on USR1, as the master's reopen-logs does", async () => {
      const host = new FakeHost({ ...SPEC, accessLog: "-", accessLogFormat: "%(U)s" }, okApp);
      await runWorker(host);
      await host.handler!(new Request("http://x/gathered"));
      expect(host.output).toEqual([]);
      host.signal("SIGUSR1");
      expect(host.output).toEqual(["/gathered\n"]);
      expect(host.exitCode).toBeUndefined();
    });
  });

  it("exits within the grace when the master is gone, even if connections linger", async () => {
    const host = new FakeHost(SPEC, okApp);
    await runWorker(host);
    host.loseParent();
    expect(host.events.at(-1)).toBe("drain");
    await vi.advanceTimersByTimeAsync(PARENT_LOST_GRACE_MS - 1);
    expect(host.exitCode).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(host.exitCode).toBe(0);
  });

  it("exits PARENT_LOST_EXIT_MS after the master is gone, however long its teardown takes", async () => {
    const host = new FakeHost(SPEC, { default: okApp.default, teardown: () => new Promise<void>(() => {}) });
    await runWorker(host);
    host.loseParent();
    host.finishDrain();
    await vi.advanceTimersByTimeAsync(PARENT_LOST_EXIT_MS - 1);
    expect(host.exitCode).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(host.exitCode).toBe(0);
  });

  it("tears down and exits when the master is gone while it waits as a spare", async () => {
    const order: string[] = [];
    const host = new FakeHost({ ...SPEC, mode: "standby" }, { default: okApp.default, teardown: () => void order.push("teardown") });
    const running = runWorker(host);
    await settle();
    host.loseParent();
    await running;
    expect(order).toEqual(["teardown"]);
    expect(host.events).toEqual(["booted", "exit 0"]);
  });

  it("exits at once when the master is gone while it loads the app", async () => {
    const host = new FakeHost(SPEC, { default: okApp.default, setup: () => new Promise<void>(() => {}) });
    void runWorker(host);
    await settle();
    host.loseParent();
    expect(host.events).toEqual(["exit 0"]);
  });

  describe("in check mode", () => {
    it("imports the app without running setup or the hooks, reports booted and exits 0", async () => {
      const setup = vi.fn();
      const host = new FakeHost({ ...SPEC, mode: "check", configFile: "/srv/mgr.config.ts" }, { default: okApp.default, setup }, {
        "file:///srv/mgr.config.ts": new Error("the config file must not be imported in check mode"),
      });
      await runWorker(host);
      expect(setup).not.toHaveBeenCalled();
      expect(host.events).toEqual(["booted", "exit 0"]);
      expect(host.exitCode).toBe(0);
      expect(host.errors).toEqual([]);

      // It stopped its heartbeat on the way out.
      const beats = host.types().filter((t) => t === "heartbeat").length;
      vi.advanceTimersByTime(10 * SPEC.heartbeatMs);
      expect(host.types().filter((t) => t === "heartbeat")).toHaveLength(beats);
    });

    it("reports an app that does not load, and exits 4", async () => {
      const host = new FakeHost({ ...SPEC, mode: "check" }, { nothing: true });
      await runWorker(host);
      expect(host.types()).toContain("boot-error");
      expect(host.exitCode).toBe(4);
    });
  });

  describe("worker hooks", () => {
    const CONFIG = "/srv/mgr.config.ts";
    const CONFIG_URL = "file:///srv/mgr.config.ts";

    it("runs postFork before the app is imported, postWorkerInit after setup, and workerExit just before exit", async () => {
      const order: string[] = [];
      const hooks = {
        postFork: vi.fn(() => void order.push("postFork")),
        postWorkerInit: vi.fn(() => void order.push("postWorkerInit")),
        workerExit: vi.fn(() => void order.push("workerExit")),
      };
      const app = {
        default: okApp.default,
        setup: () => void order.push("setup"),
        teardown: () => void order.push("teardown"),
      };
      const host = new FakeHost({ ...SPEC, configFile: CONFIG }, app, { [CONFIG_URL]: { default: hooks } });
      const importModule = host.importModule.bind(host);
      host.importModule = (url) => (order.push(`import ${url}`), importModule(url));
      const send = host.send.bind(host);
      host.send = (message) => (message.type !== "heartbeat" && message.type !== "booting" && order.push(message.type), send(message));
      const exit = host.exit.bind(host);
      host.exit = (code) => (order.push(`exit ${code}`), exit(code));

      await runWorker(host);
      expect(order).toEqual([
        `import ${CONFIG_URL}`,
        "postFork",
        "import file:///srv/app.ts",
        "setup",
        "booted",
        "postWorkerInit",
        "ready",
      ]);
      for (const hook of Object.values(hooks).slice(0, 2)) expect(hook).toHaveBeenCalledWith({ id: 1, pid: 4242 });

      host.message({ type: "drain" });
      host.finishDrain();
      await settle();
      expect(order.slice(7)).toEqual(["teardown", "workerExit", "exit 0"]);
      expect(hooks.workerExit).toHaveBeenCalledWith({ id: 1, pid: 4242 });
    });

    it("waits for an async hook before going on", async () => {
      let finishPostFork = () => {};
      const hooks = { postFork: () => new Promise<void>((resolve) => (finishPostFork = resolve)) };
      const host = new FakeHost({ ...SPEC, configFile: CONFIG }, okApp, { [CONFIG_URL]: { default: hooks } });
      const running = runWorker(host);
      await settle();
      expect(host.events).toEqual([]);
      finishPostFork();
      await running;
      expect(host.events).toEqual(["booted", "listen", "ready"]);
    });

    it("logs a hook that throws and boots all the same", async () => {
      const hooks = {
        postFork() {
          throw new Error("no vault");
        },
        postWorkerInit: () => Promise.reject(new Error("metrics down")),
      };
      const host = new FakeHost({ ...SPEC, configFile: CONFIG }, okApp, { [CONFIG_URL]: { default: hooks } });
      await runWorker(host);
      expect(host.events).toEqual(["booted", "listen", "ready"]);
      expect(host.errors).toHaveLength(2);
      expect(host.errors[0]).toMatch(/^\[[^\]]+\] \[4242\] \[ERROR\] Hook postFork failed: Error: no vault\n/);
      expect(host.errors[1]).toMatch(/^\[[^\]]+\] \[4242\] \[ERROR\] Hook postWorkerInit failed: Error: metrics down\n/);
    });

    it("logs a config file it cannot import and boots without hooks", async () => {
      const host = new FakeHost({ ...SPEC, configFile: CONFIG }, okApp, {
        [CONFIG_URL]: new Error("Cannot find module 'dotenv'"),
      });
      await runWorker(host);
      expect(host.events).toEqual(["booted", "listen", "ready"]);
      expect(host.errors).toHaveLength(1);
      expect(host.errors[0]).toMatch(
        /\[4242\] \[ERROR\] Cannot read hooks from \/srv\/mgr\.config\.ts: Cannot find module 'dotenv'\n$/,
      );
    });

    it("ignores the master-side hooks of the config file", async () => {
      const onStarting = vi.fn();
      const host = new FakeHost({ ...SPEC, configFile: CONFIG }, okApp, {
        [CONFIG_URL]: { default: { onStarting, workers: 4 } },
      });
      await runWorker(host);
      expect(onStarting).not.toHaveBeenCalled();
      expect(host.events).toEqual(["booted", "listen", "ready"]);
    });
  });

  describe("access log", () => {
    const app = {
      default: (request: Request) =>
        new URL(request.url).pathname === "/boom"
          ? Promise.reject(new Error("kaboom"))
          : new Response("ok", { status: 200, headers: { "content-length": "2" } }),
    };

    it("writes a line per request to standard output when accessLog is -, gathered into one write", async () => {
      vi.setSystemTime(new Date(2026, 10, 26, 7, 40, 5));
      const spec = { ...SPEC, accessLog: "-", accessLogFormat: '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(p)s' };
      const host = new FakeHost(spec, app);
      await runWorker(host);
      await host.handler!(new Request("http://x/a"));
      await host.handler!(new Request("http://x/b?x=1", { method: "DELETE" }));
      expect(host.output).toEqual([]);

      vi.advanceTimersByTime(0);
      const time = formatAccessTime(Date.now());
      expect(host.output).toEqual([
        `10.0.0.7 [${time}] "GET /a HTTP/1.1" 200 2 <4242>\n` +
        `10.0.0.7 [${time}] "DELETE /b?x=1 HTTP/1.1" 200 2 <4242>\n`,
      ]);
      expect(host.errors).toEqual([]);
    });

    it("logs the 500 answered for a handler that throws", async () => {
      const host = new FakeHost({ ...SPEC, accessLog: "-", accessLogFormat: '"%(r)s" %(s)s' }, app);
      await runWorker(host);
      await host.handler!(new Request("http://x/boom"));
      vi.advanceTimersByTime(0);
      expect(host.output).toEqual(['"GET /boom HTTP/1.1" 500\n']);
    });

    it("writes the lines still gathered when the worker exits", async () => {
      const host = new FakeHost({ ...SPEC, accessLog: "-", accessLogFormat: "%(U)s" }, app);
      await runWorker(host);
      await host.handler!(new Request("http://x/last"));
      host.message({ type: "drain" });
      host.finishDrain();
      await settle();
      expect(host.exitCode).toBe(0);
      expect(host.output).toEqual(["/last\n"]);
    });

    it("writes nothing when accessLog is null", async () => {
      const host = new FakeHost({ ...SPEC, accessLog: null }, app);
      await runWorker(host);
      await host.handler!(new Request("http://x/a"));
      vi.advanceTimersByTime(0);
      expect(host.output).toEqual([]);
    });
  });

  describe("on reopen-logs", () => {
    it("keeps serving, having written out the access lines gathered so far", async () => {
      const host = new FakeHost({ ...SPEC, accessLog: "-", accessLogFormat: "%(U)s" }, okApp);
      await runWorker(host);
      await host.handler!(new Request("http://x/before"));
      expect(() => host.message({ type: "reopen-logs" })).not.toThrow();
      expect(host.output).toEqual(["/before\n"]);

      const response = await host.handler!(new Request("http://x/after"));
      expect(response.status).toBe(200);
      vi.advanceTimersByTime(0);
      expect(host.output).toEqual(["/before\n", "/after\n"]);
      expect(host.exitCode).toBeUndefined();
      expect(host.errors).toEqual([]);
    });

    it("writes to a new file at the old path after a log rotation moved the old one", async () => {
      const dir = mkdtempSync(join(tmpdir(), "mgr-worker-logs-"));
      try {
        const path = join(dir, "access.log");
        const host = new FakeHost({ ...SPEC, accessLog: path, accessLogFormat: "%(U)s" }, okApp);
        await runWorker(host);
        await host.handler!(new Request("http://x/one"));
        vi.advanceTimersByTime(0);
        renameSync(path, `${path}.1`);

        host.message({ type: "reopen-logs" });
        await host.handler!(new Request("http://x/two"));
        vi.advanceTimersByTime(0);
        expect(readFileSync(`${path}.1`, "utf8")).toBe("/one\n");
        expect(readFileSync(path, "utf8")).toBe("/two\n");
        expect(host.output).toEqual([]);

        // Drained, the worker closes its log files.
        host.message({ type: "drain" });
        host.finishDrain();
        await settle();
        expect(host.exitCode).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

describe("long-lived connections (WebSockets)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const socket = () => {
    const closes: [number | undefined, string | undefined][] = [];
    return { closes, close: (code?: number, reason?: string) => void closes.push([code, reason]) };
  };
  const lastBeat = (host: FakeHost) =>
    host.sent.findLast((message) => message.type === "heartbeat") as { inFlight: number; served: number };

  it("counts each open socket as in flight until it closes", async () => {
    const host = new FakeHost(SPEC, okApp);
    await runWorker(host);
    const longLived = host.serveOptions!.longLived;
    const a = socket();
    const b = socket();
    longLived.add(a);
    longLived.add(b);
    vi.advanceTimersByTime(SPEC.heartbeatMs);
    expect(lastBeat(host).inFlight).toBe(2);
    longLived.remove(a);
    vi.advanceTimersByTime(SPEC.heartbeatMs);
    expect(lastBeat(host).inFlight).toBe(1);
  });

  it("closes every socket with 1001 a second before the master's grace ends, not before", async () => {
    const host = new FakeHost(SPEC, okApp);
    await runWorker(host);
    const open = socket();
    host.serveOptions!.longLived.add(open);
    host.message({ type: "drain", graceMs: 30_000 });
    await settle();
    vi.advanceTimersByTime(28_999);
    expect(open.closes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(open.closes).toEqual([[1001, "server is restarting"]]);
    // One opened after the goodbye is closed at once.
    const late = socket();
    host.serveOptions!.longLived.add(late);
    expect(late.closes).toEqual([[1001, "server is restarting"]]);
  });

  it("closes them at once when told to drain without a grace (a TERM to the worker itself)", async () => {
    const host = new FakeHost(SPEC, okApp);
    await runWorker(host);
    const open = socket();
    host.serveOptions!.longLived.add(open);
    host.message({ type: "drain" });
    await settle();
    expect(open.closes).toEqual([[1001, "server is restarting"]]);
  });

  it("counts an event stream until it ends, and ends it cleanly at the goodbye", async () => {
    let source!: ReadableStreamDefaultController<Uint8Array>;
    const stream = new ReadableStream<Uint8Array>({ start: (c) => void (source = c) });
    const host = new FakeHost(SPEC, {
      default: { fetch: () => new Response(stream, { headers: { "content-type": "text/event-stream" } }) },
    });
    await runWorker(host);
    const response = await host.handler!(new Request("http://x/events"));
    const reader = response.body!.getReader();
    source.enqueue(new TextEncoder().encode("data: 1\n\n"));
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: 1\n\n");
    vi.advanceTimersByTime(SPEC.heartbeatMs);
    expect(lastBeat(host).inFlight).toBe(1);
    host.message({ type: "drain", graceMs: 4_000 });
    await settle();
    vi.advanceTimersByTime(3_000);
    expect(await reader.read()).toEqual({ done: true, value: undefined });
    vi.advanceTimersByTime(SPEC.heartbeatMs);
    expect(lastBeat(host).inFlight).toBe(0);
  });

  it("leaves other responses as the app made them", async () => {
    const made = new Response("plain", { headers: { "content-type": "text/plain" } });
    const host = new FakeHost(SPEC, { default: { fetch: () => made } });
    await runWorker(host);
    expect(await host.handler!(new Request("http://x/"))).toBe(made);
  });

  it("refuses an upgrade with 503 while draining, and serves other requests", async () => {
    const host = new FakeHost(SPEC, okApp);
    await runWorker(host);
    host.message({ type: "drain", graceMs: 30_000 });
    await settle();
    const upgrade = await host.handler!(new Request("http://x/ws", { headers: { upgrade: "websocket" } }));
    expect(upgrade.status).toBe(503);
    expect(upgrade.headers.get("connection")).toBe("close");
    expect((await host.handler!(new Request("http://x/"))).status).toBe(200);
  });
});
