/**
 * Starting a target pinned to one CPU, waiting until it serves, and stopping it with every process
 * it started.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { get } from "node:http";
import { createInterface } from "node:readline";
import { signalGroup, signalPid, trackGroup, untrack } from "./live-processes.ts";
import { readTreeTicks } from "./process-tree-cpu.ts";
import type { Target, TargetContext } from "./targets.ts";

/** Lines of a server's output kept to explain a failure. */
const OUTPUT_LINES_KEPT = 40;
/** How long a stopping server has after SIGINT before its whole group is SIGKILLed, in milliseconds. */
const STOP_GRACE_MS = 5_000;
const PROBE_INTERVAL_MS = 100;
const PROBE_TIMEOUT_MS = 1_000;

/** Options of {@linkcode startServer}. */
export interface StartServerOptions {
  context: TargetContext;
  /** The CPU the server (master and every worker, by inheritance) is pinned to with `taskset`. */
  cpu: number;
  /** The body `GET /` must answer before the server counts as ready. */
  expectBody: string;
  readyTimeoutMs: number;
}

/** A target's server, running. */
export interface RunningServer {
  /** The master's pid, also its process group id. */
  pid: number;
  url: string;
  /** Whether the master is still running. */
  alive(): boolean;
  /** The last lines the server wrote, to explain a failure. */
  recentOutput(): string;
  /** Stops the server and every process in its tree; resolves once the master has exited. */
  stop(): Promise<void>;
}

/**
 * Starts `target` in a process group of its own, pinned to `options.cpu`, and resolves once it
 * has printed its ready line and answered `GET /` with the expected body.
 *
 * @throws {Error} when it exits or is not ready by the deadline; it is stopped first, and the
 *   message ends with its last lines of output.
 */
export async function startServer(target: Target, options: StartServerOptions): Promise<RunningServer> {
  const { context, cpu } = options;
  const url = `http://127.0.0.1:${context.port}/`;
  // taskset execs the command, so the pid is the server's own; the affinity passes to every child.
  // detached: a process group of its own, killed as one, and spared the terminal's Ctrl-C, which
  // the benchmark handles itself so that it can kill what it started.
  const child = spawn("taskset", ["-c", String(cpu), ...target.command(context)], {
    cwd: context.root,
    env: { ...process.env, ...target.env?.(context) },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = await spawned(child);
  trackGroup(pid);

  const output: string[] = [];
  let exitStatus: string | undefined;
  let onReadyLine: () => void = () => {};
  const readyLine = new Promise<void>((resolve) => (onReadyLine = resolve));
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exitStatus = signal ? `signal ${signal}` : `code ${code}`;
      resolve();
    });
  });
  // Both pipes are always read: a server blocked on a full pipe would be measured as slow.
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => {
      output.push(line);
      if (output.length > OUTPUT_LINES_KEPT) output.shift();
      if (target.ready.test(line)) onReadyLine();
    });
  }

  const server: RunningServer = {
    pid,
    url,
    alive: () => exitStatus === undefined,
    recentOutput: () => output.join("\n"),
    stop: () => stopServer(pid, exited),
  };

  const deadline = Date.now() + options.readyTimeoutMs;
  try {
    const outcome = await Promise.race([
      readyLine.then(() => "ready" as const),
      exited.then(() => "exited" as const),
      sleep(options.readyTimeoutMs).then(() => "timeout" as const),
    ]);
    if (outcome !== "ready") throw new Error(notReady(target, outcome, exitStatus, options.readyTimeoutMs));
    await pollUntilServing(server, options.expectBody, deadline, () => notReady(target, "timeout", exitStatus, options.readyTimeoutMs));
  } catch (error) {
    await server.stop();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\n--- last output of ${target.name} ---\n${server.recentOutput()}`);
  }
  return server;
}

function notReady(target: Target, outcome: "exited" | "timeout", exitStatus: string | undefined, timeoutMs: number): string {
  return outcome === "exited"
    ? `Cannot benchmark ${target.name}: it exited (${exitStatus}) before it was ready`
    : `Cannot benchmark ${target.name}: not ready within ${timeoutMs / 1000} s`;
}

function spawned(child: ReturnType<typeof spawn>): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once("error", (error) => reject(new Error(`Cannot start a server: ${error.message} (is taskset installed?)`)));
    child.once("spawn", () => resolve(child.pid!));
  });
}

async function pollUntilServing(server: RunningServer, expectBody: string, deadline: number, timeoutMessage: () => string): Promise<void> {
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (!server.alive()) throw new Error(`Cannot benchmark: the server exited while starting (last probe: ${last})`);
    try {
      const { status, body } = await probe(server.url);
      if (status === 200 && body === expectBody) return;
      last = `status ${status}, body ${JSON.stringify(body.slice(0, 80))}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(PROBE_INTERVAL_MS);
  }
  throw new Error(`${timeoutMessage()} (last probe: ${last})`);
}

/** One `GET` on a connection of its own, closed after: nothing of the probe stays open during the load. */
function probe(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, headers: { connection: "close" }, timeout: PROBE_TIMEOUT_MS }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)));
    request.on("error", reject);
  });
}

async function stopServer(pid: number, exited: Promise<void>): Promise<void> {
  // Known before signalling: a descendant that left the group (setsid) is still killed by pid below.
  const tree = [...readTreeTicks(pid).keys()];
  signalGroup(pid, "SIGINT");
  const stopped = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
  // Also after a clean exit: an orphaned worker would keep serving and eat the next target's CPU.
  signalGroup(pid, "SIGKILL");
  for (const member of tree) if (member !== pid) signalPid(member, "SIGKILL");
  if (!stopped) await Promise.race([exited, sleep(STOP_GRACE_MS)]);
  untrack(pid);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
