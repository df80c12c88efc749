/**
 * Starting a setup (optionally pinned to some CPUs), timing its cold start to the first 2xx answer,
 * and stopping it with every process it started.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { request } from "node:http";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import { BenchError } from "./bench-error.ts";
import { signalGroup, signalPid, trackGroup, untrack } from "./live-processes.ts";
import { readTreeTicks } from "./process-tree-cpu.ts";
import type { Setup, SetupContext } from "./setups.ts";

/** Lines of a server's output kept to explain a failure. */
const OUTPUT_LINES_KEPT = 40;
/** How long a stopping server has after SIGINT before its whole group is SIGKILLed. */
const STOP_GRACE_MS = 5_000;
/** Probes start with the process, so this bounds the error of the cold start time. */
const PROBE_INTERVAL_MS = 20;
const PROBE_TIMEOUT_MS = 1_000;
/** A line quoting a thrown error: `Error: …`, `TypeError: …`. */
const THROWN = /\b(?:[A-Z]\w*)?Error: /;
/** Answers outside 2xx in a row, once the server says it serves, before the path counts as wrong. */
const WRONG_ANSWERS_TOLERATED = 3;

/** Options of {@linkcode startServer}. */
export interface StartServerOptions {
  context: SetupContext;
  /** The path probed, then loaded: `/` by default. */
  path: string;
  /** `taskset -c` list the server is pinned to (inherited by every child), or undefined. */
  cpus?: string;
  readyTimeoutMs: number;
  /** The environment of the server, before the setup's own variables. */
  env: NodeJS.ProcessEnv;
}

/** A setup's server, running. */
export interface RunningServer {
  /** The master's (or launcher's) pid, also its process group id. */
  pid: number;
  /** The URL loaded: 127.0.0.1, the port and the path. */
  url: string;
  /** Milliseconds from spawning the server to its first 2xx answer on the path. */
  coldStartMs: number;
  alive(): boolean;
  /** The last lines the server wrote, to explain a failure. */
  recentOutput(): string;
  /** Calls `listener` with each later line of output and when it was read; returns a function that stops it. */
  onLine(listener: (line: string, atMs: number) => void): () => void;
  /** Stops the server and every process in its tree; resolves once the master has exited. */
  stop(): Promise<void>;
}

/**
 * Starts `setup` in a process group of its own and resolves once it has printed its ready line and
 * answered the path with a 2xx status.
 *
 * @throws {BenchError} when it exits before serving (the app did not load), answers the path
 *   outside 2xx, or is not ready by the deadline; it is stopped first.
 */
export async function startServer(setup: Setup, options: StartServerOptions): Promise<RunningServer> {
  const { context } = options;
  const url = `http://127.0.0.1:${context.port}${options.path}`;
  const argv = setup.command(context);
  // taskset execs the command, so the pid is the server's own; the affinity passes to every child.
  // detached: a process group of its own, killed as one, and spared the terminal's Ctrl-C, which
  // the bench handles itself so that it can kill what it started.
  const command = options.cpus === undefined ? argv : ["taskset", "-c", options.cpus, ...argv];
  const startedAt = performance.now();
  const child = spawn(command[0]!, command.slice(1), {
    // The app's directory: Deno finds the app's deno.json (its import map) from there, as it would for
    // someone serving the app from its project.
    cwd: dirname(context.app.replace(/:[A-Za-z_$][\w$]*$/, "")),
    env: { ...options.env, ...setup.env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = await spawned(child, command[0]!);
  trackGroup(pid);

  const output: string[] = [];
  const listeners = new Set<(line: string, atMs: number) => void>();
  let exitStatus: string | undefined;
  let readyLineSeen = false;
  let firstThrown: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exitStatus = signal ? `signal ${signal}` : `code ${code}`;
      resolve();
    });
  });
  // Both pipes are always read: a server blocked on a full pipe would be measured as slow.
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => {
      const atMs = performance.now();
      output.push(line);
      if (output.length > OUTPUT_LINES_KEPT) output.shift();
      // Kept apart: the stacks that follow the first error can push it out of the recent lines.
      if (firstThrown === undefined && THROWN.test(line)) firstThrown = line;
      if (setup.ready.test(line)) readyLineSeen = true;
      for (const listener of listeners) listener(line, atMs);
    });
  }

  const server: RunningServer = {
    pid,
    url,
    coldStartMs: Number.NaN,
    alive: () => exitStatus === undefined,
    recentOutput: () => [firstThrown, ...output].filter((line) => line !== undefined).join("\n"),
    onLine: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: () => stopServer(pid, exited),
  };

  try {
    server.coldStartMs = (await waitUntilServing(server, () => readyLineSeen, options.readyTimeoutMs, setup)) - startedAt;
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/** Probes until a 2xx answer after the ready line; resolves with the time of the first 2xx answer. */
async function waitUntilServing(server: RunningServer, readyLineSeen: () => boolean, timeoutMs: number, setup: Setup): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let firstOk: number | undefined;
  let wrongAnswers = 0;
  let last = "no answer yet";
  while (performance.now() < deadline) {
    if (!server.alive()) {
      const why = lastMeaningfulLine(server.recentOutput()) ?? "no output";
      throw new BenchError(`${setup.id} exited before it served (${why}); check that the app loads, e.g. with \`mgr check APP\` on ${setup.runtime}`);
    }
    try {
      const status = await probe(server.url);
      const answeredAt = performance.now();
      if (status >= 200 && status < 300) {
        last = `status ${status}, but no ready line yet`;
        firstOk ??= answeredAt;
        wrongAnswers = 0;
        if (readyLineSeen()) return firstOk;
      } else {
        last = `status ${status}`;
        if (readyLineSeen() && ++wrongAnswers >= WRONG_ANSWERS_TOLERATED) {
          throw new BenchError(`GET ${new URL(server.url).pathname} answered ${status} on ${setup.id}; pass --path with a route of the app that answers 2xx`);
        }
      }
    } catch (error) {
      if (error instanceof BenchError) throw error;
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(PROBE_INTERVAL_MS);
  }
  throw new BenchError(`${setup.id} did not serve within ${timeoutMs / 1000} s (last probe: ${last}); its last output: ${lastMeaningfulLine(server.recentOutput()) ?? "none"}`);
}

/**
 * The line of a failed server's output that most likely says why: the first that quotes a thrown
 * error (`Error: …`), else the last error line, else the last non-empty one; one line, so that the
 * bench's error stays one line. Without mgr's log prefix and terminal colours.
 */
export function lastMeaningfulLine(output: string): string | undefined {
  // Deno prints colours even into a pipe.
  const lines = output.replace(/\x1b\[[0-9;]*m/g, "").split("\n")
    .map((line) => line.replace(/^\[[^\]]+\] \[\d+\] \[[A-Z]+\] /, "").trim())
    .filter(Boolean);
  return lines.find((line) => THROWN.test(line)) ?? [...lines].reverse().find((line) => /error/i.test(line)) ?? lines[lines.length - 1];
}

function spawned(child: ReturnType<typeof spawn>, executable: string): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once("error", (error) => reject(new BenchError(`cannot start ${executable}: ${error.message}`)));
    child.once("spawn", () => resolve(child.pid!));
  });
}

/** One `GET` on a connection of its own, closed after: nothing of the probe stays open during the load. */
function probe(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: "close" }, timeout: PROBE_TIMEOUT_MS }, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode ?? 0));
      response.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)));
    req.on("error", reject);
    req.end();
  });
}

async function stopServer(pid: number, exited: Promise<void>): Promise<void> {
  // Known before signalling: a descendant that left the group (setsid) is still killed by pid below.
  const tree = [...readTreeTicks(pid).keys()];
  signalGroup(pid, "SIGINT");
  const stopped = await exitedWithin(exited, STOP_GRACE_MS);
  // Also after a clean exit: an orphaned worker would keep serving and eat the next setup's CPU.
  signalGroup(pid, "SIGKILL");
  for (const member of tree) if (member !== pid) signalPid(member, "SIGKILL");
  if (!stopped) await exitedWithin(exited, STOP_GRACE_MS);
  untrack(pid);
}

/** Whether `exited` settles within `ms`; the timer is cleared as soon as it does. */
async function exitedWithin(exited: Promise<void>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([exited.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves after `ms`. The timer keeps the process alive: while a probe waits, it may be the only
 * thing left once a failing server has exited, and the loop must wake to notice.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
