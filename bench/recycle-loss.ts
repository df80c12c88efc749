/**
 * `npx tsx bench/recycle-loss.ts`: how many requests a worker swap loses, on each runtime.
 *
 * For each runtime and each kind of load, starts mgr with `--max-requests` so that workers recycle
 * again and again, loads it for a fixed time, and counts the requests that got no response (a reset,
 * a refused or hung-up connection, a timeout) or a status other than 200, against the swaps the
 * master logged. Two kinds of load: `fresh`, every request on a connection of its own (the load
 * that exposes a listener closing with connections in its accept queue), and `keepalive`, clients
 * that reuse their connections (the load that exposes idle connections closed under a client).
 * Every run is bounded in time; every process started is killed by pid or process group at the end.
 * See BENCHMARKS.md for the figures.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { Agent, get } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { findFreePort } from "./free-port.ts";
import { killTrackedOnExit, signalGroup, trackGroup, untrack } from "./live-processes.ts";
import { RUNTIMES, runtimeExecutable } from "./targets.ts";
import type { Runtime } from "./targets.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const APP = join(ROOT, "bench/apps/hello.ts");
const LOADS = ["fresh", "keepalive"] as const;
type Load = (typeof LOADS)[number];
const READY = /\[INFO\] Ready: \d+ workers? serving/;
const SWAP = /served \d+ requests; replacing it/;
const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const REQUEST_TIMEOUT_MS = 5_000;

const HELP = `Usage: npx tsx bench/recycle-loss.ts [options]

Loads mgr while its workers recycle (--max-requests) and prints, per runtime and load, the requests
served, the swaps, and the requests lost per swap.

Options:
  --duration SECONDS     Load per run. [20]
  --connections INT      Concurrent clients. [8]
  --workers INT          Workers (-w). [2]
  --max-requests INT     Requests a worker serves before it is replaced. [300]
  --runs INT             Runs of every runtime and load, interleaved. [1]
  --runtimes LIST        Comma-separated. [node,bun,deno]
  --loads LIST           fresh (a connection per request), keepalive; comma-separated. [fresh,keepalive]
  -h, --help             Show this help and exit.
`;

interface Options {
  durationS: number;
  connections: number;
  workers: number;
  maxRequests: number;
  runs: number;
  runtimes: Runtime[];
  loads: Load[];
}

/** The outcome of one run. */
interface RunResult {
  runtime: Runtime;
  load: Load;
  ok: number;
  swaps: number;
  /** Failures by message: `ECONNRESET`, `status 502`, … */
  lost: Map<string, number>;
}

function parseOptions(args: string[]): Options | undefined {
  const { values } = parseArgs({
    args,
    options: {
      duration: { type: "string", default: "20" },
      connections: { type: "string", default: "8" },
      workers: { type: "string", default: "2" },
      "max-requests": { type: "string", default: "300" },
      runs: { type: "string", default: "1" },
      runtimes: { type: "string", default: RUNTIMES.join(",") },
      loads: { type: "string", default: LOADS.join(",") },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const int = (flag: string, value: string, min: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new RangeError(`option \`--${flag}\` must be an integer >= ${min}, got \`${value}\``);
    return n;
  };
  const list = <T extends string>(flag: string, value: string, allowed: readonly T[]): T[] =>
    value.split(",").map((item) => {
      if (!allowed.includes(item as T)) throw new RangeError(`option \`--${flag}\` takes ${allowed.join(", ")}, got \`${item}\``);
      return item as T;
    });
  return {
    durationS: int("duration", values.duration, 1),
    connections: int("connections", values.connections, 1),
    workers: int("workers", values.workers, 1),
    maxRequests: int("max-requests", values["max-requests"], 10),
    runs: int("runs", values.runs, 1),
    runtimes: list("runtimes", values.runtimes, RUNTIMES),
    loads: list("loads", values.loads, LOADS),
  };
}

function mgrCommand(runtime: Runtime): string[] {
  return runtime === "deno"
    ? [runtimeExecutable("deno", ROOT), "run", "-A", join(ROOT, "mgr.ts")]
    : [runtimeExecutable(runtime, ROOT), join(ROOT, "dist/src/cli/bin.js")];
}

/** A master started in a process group of its own, with its output kept. */
interface Started {
  pid: number;
  output: string[];
  exited: Promise<void>;
}

async function startMgr(runtime: Runtime, port: number, options: Options): Promise<Started> {
  const jitter = Math.floor(options.maxRequests / 5);
  const args = [APP, "-b", `127.0.0.1:${port}`, "-w", String(options.workers), "--max-requests", String(options.maxRequests), "--max-requests-jitter", String(jitter)];
  const [command, ...rest] = [...mgrCommand(runtime), ...args];
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("npm_")));
  const child = spawn(command!, rest, { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", reject);
  });
  const pid = child.pid!;
  trackGroup(pid);
  const output: string[] = [];
  let partial = "";
  let ready = false;
  const collect = (chunk: Buffer) => {
    const lines = (partial + chunk.toString("utf8")).split("\n");
    partial = lines.pop()!;
    output.push(...lines);
    if (lines.some((line) => READY.test(line))) ready = true;
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  let gone = false;
  const exited = new Promise<void>((resolve) => child.once("exit", () => ((gone = true), resolve())));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!ready || (await request(port, undefined).then((s) => s !== 200, () => true))) {
    if (gone || Date.now() > deadline) {
      await stopMgr({ pid, output, exited });
      throw new Error(`Cannot measure mgr (${runtime}): not serving within ${START_TIMEOUT_MS / 1000} s\n${output.slice(-20).join("\n")}`);
    }
    await sleep(100);
  }
  return { pid, output, exited };
}

async function stopMgr(master: Started): Promise<void> {
  signalGroup(master.pid, "SIGINT");
  await Promise.race([master.exited, sleep(STOP_GRACE_MS)]);
  signalGroup(master.pid, "SIGKILL");
  untrack(master.pid);
}

/** One GET /, on `agent` or on a connection of its own; resolves with the status. */
function request(port: number, agent: Agent | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get({ host: "127.0.0.1", port, path: "/", agent: agent ?? false, timeout: REQUEST_TIMEOUT_MS }, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode ?? 0));
      response.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

async function measure(runtime: Runtime, load: Load, options: Options): Promise<RunResult> {
  const port = await findFreePort();
  const master = await startMgr(runtime, port, options);
  const agent = load === "keepalive" ? new Agent({ keepAlive: true, maxSockets: options.connections }) : undefined;
  const swapsBefore = master.output.filter((line) => SWAP.test(line)).length;
  const result: RunResult = { runtime, load, ok: 0, swaps: 0, lost: new Map() };
  const lose = (what: string) => result.lost.set(what, (result.lost.get(what) ?? 0) + 1);
  const end = Date.now() + options.durationS * 1000;
  const client = async () => {
    while (Date.now() < end) {
      try {
        const status = await request(port, agent);
        if (status === 200) result.ok++;
        else lose(`status ${status}`);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        lose(code ?? (error instanceof Error ? error.message : String(error)));
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.connections }, client));
    result.swaps = master.output.filter((line) => SWAP.test(line)).length - swapsBefore;
  } finally {
    agent?.destroy();
    await stopMgr(master);
  }
  return result;
}

function totalLost(result: RunResult): number {
  return [...result.lost.values()].reduce((sum, n) => sum + n, 0);
}

function formatRow(result: RunResult): string {
  const lost = totalLost(result);
  const perSwap = result.swaps > 0 ? (lost / result.swaps).toFixed(3) : "-";
  const kinds = [...result.lost].map(([what, n]) => `${what} ${n}`).join(", ") || "-";
  return [
    result.runtime.padEnd(5),
    result.load.padEnd(9),
    String(result.ok).padStart(8),
    String(result.swaps).padStart(6),
    String(lost).padStart(5),
    perSwap.padStart(9),
    `  ${kinds}`,
  ].join("  ");
}

async function main(args: string[]): Promise<number> {
  let options: Options | undefined;
  try {
    options = parseOptions(args);
  } catch (error) {
    process.stderr.write(`recycle-loss: ${error instanceof Error ? error.message : String(error)} (see --help)\n`);
    return 2;
  }
  if (!options) {
    process.stdout.write(HELP);
    return 0;
  }
  if (options.runtimes.some((r) => r !== "deno") && !existsSync(join(ROOT, "dist/src/cli/bin.js"))) {
    process.stderr.write("recycle-loss: mgr is not built; run `npm run build` first\n");
    return 1;
  }
  killTrackedOnExit();
  process.stdout.write(
    `${options.workers} workers, --max-requests ${options.maxRequests}, ${options.connections} clients, ` +
      `${options.durationS} s per run, ${options.runs} run(s) of each\n\n` +
      `${"rt".padEnd(5)}  ${"load".padEnd(9)}  ${"served".padStart(8)}  ${"swaps".padStart(6)}  ${"lost".padStart(5)}  ${"lost/swap".padStart(9)}    failures\n`,
  );
  const results: RunResult[] = [];
  for (let run = 0; run < options.runs; run++) {
    for (const runtime of options.runtimes) {
      for (const load of options.loads) {
        const result = await measure(runtime, load, options);
        results.push(result);
        process.stdout.write(`${formatRow(result)}\n`);
      }
    }
  }
  if (options.runs > 1) {
    process.stdout.write("\ntotals\n");
    for (const runtime of options.runtimes) {
      for (const load of options.loads) {
        const mine = results.filter((r) => r.runtime === runtime && r.load === load);
        const lost = new Map<string, number>();
        for (const r of mine) for (const [what, n] of r.lost) lost.set(what, (lost.get(what) ?? 0) + n);
        const sum = (pick: (r: RunResult) => number) => mine.reduce((total, r) => total + pick(r), 0);
        process.stdout.write(`${formatRow({ runtime, load, ok: sum((r) => r.ok), swaps: sum((r) => r.swaps), lost })}\n`);
      }
    }
  }
  return 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

process.exitCode = await main(process.argv.slice(2));
