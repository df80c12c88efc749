import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { FromWorker, ToWorker, WorkerSpec } from "../core/protocol.ts";
import type { FetchHandler } from "./app.ts";
import { ListenError, type WorkerHost, type WorkerServer } from "./worker-host.ts";
import { PARENT_LOST_GRACE_MS, runWorker } from "./worker-loop.ts";

const SPEC: WorkerSpec = {
  id: 1,
  app: "/srv/app.ts",
  bind: [{ host: "127.0.0.1", port: 8000 }],
  backlog: 2048,
  keepaliveMs: 5_000,
  heartbeatMs: 1_000,
  standby: false,
  maxRequests: 0,
  logLevel: "info",
};

/** A host whose server records calls and whose drain resolves when the test says so. */
class FakeHost implements WorkerHost {
  readonly sent: FromWorker[] = [];
  readonly events: string[] = [];
  readonly errors: string[] = [];
  exitCode?: number;
  handler?: FetchHandler;
  listenError?: Error;
  finishDrain: () => void = () => {};
  #onMessage?: (message: ToWorker) => void;
  #onParentLost?: () => void;
  #signals = new Map<string, () => void>();

  constructor(readonly spec: WorkerSpec, readonly module: Record<string, unknown>) {}
  readonly pid = 4242;

  send(message: FromWorker): Promise<void> {
    this.sent.push(message);
    if (message.type !== "heartbeat") this.events.push(message.type);
    return Promise.resolve();
  }
  onMessage(fn: (message: ToWorker) => void): void {
    this.#onMessage = fn;
  }
  onParentLost(fn: () => void): void {
    this.#onParentLost = fn;
  }
  onSignal(signal: string, fn: () => void): void {
    this.#signals.set(signal, fn);
  }
  importModule(): Promise<unknown> {
    return Promise.resolve(this.module);
  }
  serve(handler: FetchHandler): Promise<WorkerServer> {
    if (this.listenError) return Promise.reject(this.listenError);
    this.handler = handler;
    this.events.push("listen");
    return Promise.resolve({
      drain: () => {
        this.events.push("drain");
        return new Promise<void>((resolve) => (this.finishDrain = resolve));
      },
      close: () => this.events.push("close"),
    });
  }
  rss(): number {
    return 1234;
  }
  writeError(line: string): void {
    this.errors.push(line);
  }
  exit(code: number): never {
    this.exitCode ??= code;
    this.events.push(`exit ${code}`);
    return undefined as never;
  }

  message(message: ToWorker): void {
    this.#onMessage!(message);
  }
  signal(signal: string): void {
    this.#signals.get(signal)!();
  }
  loseParent(): void {
    this.#onParentLost!();
  }
  types(): string[] {
    return this.sent.map((m) => m.type);
  }
}

/** Lets every pending promise reaction run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

const okApp = { default: { fetch: () => new Response("ok") } };

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("runWorker", () => {
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
    expect(host.sent.at(-1)).toEqual({ type: "heartbeat", served: 1, inFlight: 0, rss: 1234 });
  });

  it("waits for serve before listening when booted as a spare", async () => {
    const host = new FakeHost({ ...SPEC, standby: true }, okApp);
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
    expect(host.errors.some((line) => line.includes("GET http://x/boom") && line.includes("kaboom"))).toBe(true);
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
      expect(host.events.at(-1), how).toBe("exit 0");
    }
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
});
