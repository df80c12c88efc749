/**
 * Running a real mgr master in tests: start it on a runtime, read its log, find its workers, and
 * leave nothing behind.
 *
 * @module
 */

import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { expect, inject } from "vitest";
import { Agent, get as httpGet, type IncomingHttpHeaders, request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";
import { RUNTIMES, RUNTIMES_WITH_FLOOR, runtimeFamily } from "../support/test-runtimes.ts";

export { RUNTIMES, RUNTIMES_WITH_FLOOR, runtimeFamily };

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const FIXTURES = `${ROOT}test/fixtures/`;

/** The command that starts mgr on `runtime`, arguments to follow. */
export function mgrCommand(runtime: string): string[] {
  switch (runtime) {
    case "command": // the arguments hold the whole command
      return [];
    case "node":
      return [process.execPath, `${ROOT}dist/src/cli/bin.js`];
    case "node24":
      return [node24Bin(), `${ROOT}dist/src/cli/bin.js`];
    case "bun":
      return [`${ROOT}node_modules/.bin/bun`, `${ROOT}dist/src/cli/bin.js`];
    case "deno":
      return [`${ROOT}node_modules/.bin/deno`, "run", "-A", `${ROOT}mgr.ts`];
    default:
      throw new Error(`no command for runtime ${runtime}`);
  }
}

/** The Node 24 binary that the global setup installed (test/support/node24-setup.ts), or why there is none. */
function node24Bin(): string {
  const node24 = inject("node24");
  if (!node24) throw new Error("Cannot run on node24: the behaviour project's global setup did not run (MGR_TEST_RUNTIMES must name node24)");
  if ("error" in node24) throw new Error(node24.error);
  return node24.bin;
}

/**
 * The environment of a user's shell: this process's, without the `npm_*` variables that `npm test`
 * (or `bun run`) set. Left in, they would tell `mgr` it was launched by a package manager: under Bun's
 * user agent the bin relaunches itself under Bun (see src/cli/bunx-launcher.ts).
 */
export function userEnvironment(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("npm_")));
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes; returns that value or throws. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  { timeoutMs = 10_000, intervalMs = 25 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError}` : ""}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A port nobody listens on right now, chosen by the OS. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The pids of the live (not zombie) children of `pid`, read from /proc. */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.ppid === pid && stat.state !== "Z") children.push(Number(entry));
  }
  return children.sort((a, b) => a - b);
}

/** True while `pid` names a process that has not exited (zombies count as gone). */
export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== "Z";
}

/** The pids of the zombie children of `pid`: exited, never reaped. */
export function zombieChildren(pid: number): number[] {
  const zombies: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.ppid === pid && stat.state === "Z") zombies.push(Number(entry));
  }
  return zombies;
}

function readStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may hold spaces; fields after it are fixed.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0]!, ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** A running master under test. */
export class Master {
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #child: ChildProcess;
  readonly #seenPids = new Set<number>();
  #partial = "";

  constructor(readonly runtime: string, args: string[], env: Record<string, string> = {}, cwd = ROOT) {
    const [command, ...rest] = [...mgrCommand(runtime), ...args];
    this.#child = spawn(command!, rest, {
      cwd,
      env: { ...userEnvironment(), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const collect = (chunk: Buffer) => {
      const text = this.#partial + chunk.toString("utf8");
      const lines = text.split("\n");
      this.#partial = lines.pop()!;
      this.output.push(...lines);
    };
    this.#child.stdout!.on("data", collect);
    this.#child.stderr!.on("data", collect);
    this.exited = new Promise((resolve) => {
      this.#child.once("exit", (code, signal) => {
        if (this.#partial) this.output.push(this.#partial);
        this.#partial = "";
        resolve({ code, signal });
      });
    });
    masters.add(this);
  }

  get pid(): number {
    return this.#child.pid!;
  }

  /** The log so far, one string. */
  get log(): string {
    return this.output.join("\n");
  }

  /** Lines of the log that match `pattern`. */
  lines(pattern: RegExp): string[] {
    return this.output.filter((line) => pattern.test(line));
  }

  /** Waits for a log line matching `pattern` and returns it. */
  waitForLine(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    return waitFor(`a log line matching ${pattern}\n--- log ---\n${this.log}`, () => this.output.find((l) => pattern.test(l)), {
      timeoutMs,
    });
  }

  /** The master's live child processes; each pid seen is remembered for cleanup. */
  workers(): number[] {
    const pids = childPids(this.pid);
    for (const pid of pids) this.#seenPids.add(pid);
    return pids;
  }

  /** Waits until the master has exactly `count` live children and returns their pids. */
  waitForWorkers(count: number, timeoutMs = 10_000): Promise<number[]> {
    return waitFor(`${count} workers`, () => {
      const pids = this.workers();
      return pids.length === count ? pids : undefined;
    }, { timeoutMs });
  }

  signal(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  /** Waits for the master to exit, failing after `timeoutMs`. */
  async waitForExit(timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`master did not exit within ${timeoutMs} ms\n${this.log}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the master and every worker it was seen with, by pid. */
  async destroy(): Promise<void> {
    this.workers();
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill("SIGKILL");
    await this.exited;
    for (const pid of this.#seenPids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    masters.delete(this);
  }
}

const masters = new Set<Master>();

/** Kills every master started by this file's tests; call it from `afterEach`. */
export async function destroyAllMasters(): Promise<void> {
  await Promise.all([...masters].map((master) => master.destroy()));
  keepAliveAgent.destroy();
}

/** Starts `mgr APP ARGS` on `runtime` and waits until every worker is ready and it answers on `port`. */
export async function startServing(
  runtime: string,
  app: string,
  port: number,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<Master> {
  const master = new Master(runtime, [app, "-b", `127.0.0.1:${port}`, ...args], env);
  await master.waitForLine(/\[INFO\] Ready: \d+ workers? serving/, 15_000);
  await waitFor(`mgr to answer on port ${port}\n${master.log}`, async () => (await get(port, "/")).status === 200);
  return master;
}

/** A keep-alive agent shared by the requests of a test file; destroyed by {@linkcode destroyAllMasters}. */
export const keepAliveAgent = new Agent({ keepAlive: true, maxSockets: 16 });

/**
 * GET `path` on 127.0.0.1:`port`, over a pooled keep-alive connection, or over a connection of its own
 * when `fresh` is set.
 */
export function get(
  port: number,
  path: string,
  { fresh = false, timeoutMs = 5_000 } = {},
): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = httpGet(
      { host: "127.0.0.1", port, path, agent: fresh ? false : keepAliveAgent, timeout: timeoutMs },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
        response.on("error", reject);
      },
    );
    request.on("timeout", () => request.destroy(new Error(`GET ${path} timed out after ${timeoutMs} ms`)));
    request.on("error", reject);
  });
}

/** GET `path` over the unix socket at `socketPath` and resolve with the body. */
export function getUnix(socketPath: string, path: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const request = httpRequest({ socketPath, path }, (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk));
      response.on("end", () => resolve(text));
    });
    request.on("error", reject);
    request.end();
  });
}

/** Runs a one-shot `mgr` command (status, check, print-config…) on `runtime` and collects its output. */
export function runMgr(
  runtime: string,
  args: string[],
  { cwd = ROOT, env = {}, timeoutMs = 20_000 }: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [command, ...prefix] = mgrCommand(runtime);
  return new Promise((resolve, reject) => {
    const child = spawn(command!, [...prefix, ...args], { cwd, env: { ...userEnvironment(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`mgr ${args.join(" ")} did not finish within ${timeoutMs} ms\n${stdout}${stderr}`));
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `clients` loops of GET `path` until `stop()` is called; counts answers by status and failures. */
export function loadLoop(port: number, path = "/pid", clients = 4) {
  let running = true;
  const result = { ok: 0, non2xx: 0, errors: [] as RequestFailure[], pids: new Set<number>() };
  const loops = Array.from({ length: clients }, async (_, i) => {
    while (running) {
      try {
        const response = await get(port, path, { fresh: i % 2 === 1 });
        if (response.status >= 200 && response.status < 300) {
          result.ok++;
          if (path === "/pid") result.pids.add(Number(response.body));
        } else result.non2xx++;
      } catch (error) {
        result.errors.push({ fresh: i % 2 === 1, message: String(error) });
      }
    }
  });
  return {
    result,
    async stop() {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}

/** A request that got no response, and whether it had opened a connection of its own. */
export interface RequestFailure {
  fresh: boolean;
  message: string;
}

/**
 * Asserts that worker swaps lost no request, on every runtime. On Deno this holds because a draining
 * worker stops its listener with shutdown(2) before Deno's server.shutdown(), which would otherwise
 * reset the connections accepted but not yet read (adapters/deno/listening-socket.ts); `swaps` is
 * kept for the message, so a failure says how many swaps the losses came from.
 */
export function expectNoLostRequests(runtime: string, failures: RequestFailure[], swaps: number): void {
  expect(failures, `requests lost on ${runtime} over ${swaps} worker swaps`).toEqual([]);
}
