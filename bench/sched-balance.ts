/**
 * `npx tsx bench/sched-balance.ts`: how evenly mgr's Node workers share connections under each
 * `node:cluster` scheduling policy.
 *
 * For each policy (`rr`, the primary accepts and hands out; `none`, every worker accepts from the
 * shared socket), each pool size and each kind of load, starts mgr serving the behaviour suite's app,
 * loads `GET /pid` with wrk and counts the responses of each worker. Two loads: `keepalive` (wrk's
 * default: `-c` connections held open), `close` (`Connection: close`, a connection per request, as
 * fast as wrk goes) and `paced` (a connection per request at a light, fixed rate, from this process:
 * the load where Node's documentation warns that the kernel favours a few processes).
 * Runs are interleaved over rounds, since the machine is shared. Every process started is killed by
 * its process group at the end. See BENCHMARKS.md for the figures.
 *
 * @module
 */

import { execFileSync, spawn } from "node:child_process";
import { get } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { findFreePort } from "./free-port.ts";
import { killTrackedOnExit, trackPid, untrack } from "./live-processes.ts";
import { startServer } from "../src/bench/server-process.ts";
import { parseWrkOutput } from "./wrk.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const APP = join(ROOT, "test/fixtures/app.ts");
const POLICIES = ["rr", "none"] as const;
type Policy = (typeof POLICIES)[number];
const LOADS = ["keepalive", "close", "paced"] as const;
type Load = (typeof LOADS)[number];

// wrk's threads each have a Lua state of their own: a response counts in its thread's table, and
// done() gathers the tables. Setting response() makes wrk read bodies, so rates here are not bench
// figures.
const COUNT_PIDS = `
counts = {}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body) counts[body] = (counts[body] or 0) + 1 end
function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for pid, n in pairs(thread:get("counts")) do io.write(string.format("pid %s %d\\n", pid, n)) end
  end
end
`;

const HELP = `Usage: npx tsx bench/sched-balance.ts [options]

Prints, per scheduling policy, pool size and load, the share of requests each worker served.

Options:
  --duration SECONDS     Load per run. [10]
  --connections INT      wrk -c. [50]
  --workers LIST         Pool sizes, comma-separated. [2,4]
  --policies LIST        rr, none; comma-separated. [rr,none]
  --loads LIST           keepalive, close, paced; comma-separated. [keepalive,close,paced]
  --rate INT             Requests per second of the paced load. [150]
  --rounds INT           Runs of every combination, interleaved. [2]
  --cpus LIST            taskset CPU list for the server (wrk runs unpinned). [0,1]
  -h, --help             Show this help and exit.
`;

interface Options {
  durationS: number;
  connections: number;
  workers: number[];
  policies: Policy[];
  loads: Load[];
  rounds: number;
  cpus: string;
  rate: number;
}

interface Run {
  policy: Policy;
  workers: number;
  load: Load;
  round: number;
  requestsPerSecond: number;
  /** Requests per worker, largest first. */
  shares: number[];
  /** Established connections owned by each worker half-way through the run, largest first. */
  connections: number[];
  errors: number;
}

function parseOptions(args: string[]): Options | undefined {
  const { values } = parseArgs({
    args,
    options: {
      duration: { type: "string", default: "10" },
      connections: { type: "string", default: "50" },
      workers: { type: "string", default: "2,4" },
      policies: { type: "string", default: POLICIES.join(",") },
      loads: { type: "string", default: LOADS.join(",") },
      rounds: { type: "string", default: "2" },
      cpus: { type: "string", default: "0,1" },
      rate: { type: "string", default: "150" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const list = <T extends string>(flag: string, value: string, allowed: readonly T[]): T[] =>
    value.split(",").map((item) => {
      if (!allowed.includes(item as T)) throw new RangeError(`Option \`--${flag}\` takes ${allowed.join(", ")}, got \`${item}\``);
      return item as T;
    });
  const whole = (flag: string, value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Option \`--${flag}\` must be an integer >= 1, got \`${value}\``);
    return n;
  };
  return {
    durationS: whole("duration", values.duration),
    connections: whole("connections", values.connections),
    workers: values.workers.split(",").map((w) => whole("workers", w)),
    policies: list("policies", values.policies, POLICIES),
    loads: list("loads", values.loads, LOADS),
    rounds: whole("rounds", values.rounds),
    cpus: values.cpus,
    rate: whole("rate", values.rate),
  };
}

async function measure(policy: Policy, workers: number, load: Load, round: number, options: Options, script: string): Promise<Run> {
  const port = await findFreePort();
  const server = await startServer(
    {
      id: `mgr (node, ${policy})`,
      name: `mgr (node, ${policy})`,
      kind: "mgr",
      runtime: "node",
      workers,
      command: () => [process.execPath, join(ROOT, "dist/src/cli/bin.js"), APP, "-w", String(workers), "-b", `127.0.0.1:${port}`],
      env: { NODE_CLUSTER_SCHED_POLICY: policy },
      ready: /\[INFO\] Ready: \d+ workers? serving/,
    },
    { context: { root: ROOT, app: APP, port }, path: "/", cpus: options.cpus, readyTimeoutMs: 30_000, env: process.env },
  );
  try {
    if (load === "paced") return { policy, workers, load, round, ...(await pacedLoad(port, workers, options)) };
    const args = ["-t1", `-c${options.connections}`, `-d${options.durationS}s`, "-s", script];
    if (load === "close") args.push("-H", "Connection: close");
    const loaded = runWrkText([...args, `${server.url}pid`], options.durationS);
    await new Promise((resolve) => setTimeout(resolve, (options.durationS * 1000) / 2));
    const connections = connectionsByPid(port, workers);
    const text = await loaded;
    const result = parseWrkOutput(text);
    const shares = [...text.matchAll(/^pid (\d+) (\d+)$/gm)].map((m) => Number(m[2])).sort((a, b) => b - a);
    while (shares.length < workers) shares.push(0);
    return { policy, workers, load, round, requestsPerSecond: result.requestsPerSecond, shares, connections, errors: result.non2xx + result.socketErrors };
  } finally {
    await server.stop();
  }
}

/** GETs `/pid`, each on a connection of its own, `options.rate` a second for the run's duration. */
async function pacedLoad(port: number, workers: number, options: Options): Promise<Omit<Run, "policy" | "workers" | "load" | "round">> {
  const counts = new Map<string, number>();
  let errors = 0;
  const started = Date.now();
  const total = options.rate * options.durationS;
  const requests: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / options.rate;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    requests.push(
      new Promise<void>((resolve) => {
        const request = get({ host: "127.0.0.1", port, path: "/pid", agent: false, timeout: 5_000 }, (response) => {
          let body = "";
          response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
          response.on("end", () => {
            counts.set(body, (counts.get(body) ?? 0) + 1);
            resolve();
          });
        });
        request.on("timeout", () => request.destroy(new Error("timed out")));
        request.on("error", () => {
          errors++;
          resolve();
        });
      }),
    );
  }
  await Promise.all(requests);
  const shares = [...counts.values()].sort((a, b) => b - a);
  while (shares.length < workers) shares.push(0);
  return { requestsPerSecond: total / ((Date.now() - started) / 1000), shares, connections: [], errors };
}

/** Which process owns each established connection to `port` (`ss -tnp`), counted per pid, largest first. */
function connectionsByPid(port: number, workers: number): number[] {
  const text = execFileSync("ss", ["-tnpH", "state", "established", "( sport = :" + port + " )"], { encoding: "utf8" });
  const counts = new Map<string, number>();
  for (const match of text.matchAll(/pid=(\d+)/g)) counts.set(match[1]!, (counts.get(match[1]!) ?? 0) + 1);
  const sorted = [...counts.values()].sort((a, b) => b - a);
  while (sorted.length < workers) sorted.push(0);
  return sorted;
}

function runWrkText(args: string[], durationS: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.once("spawn", () => trackPid(child.pid!));
    const timer = setTimeout(() => child.kill("SIGKILL"), (durationS + 15) * 1000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      untrack(child.pid!);
      if (code === 0) resolve(out);
      else reject(new Error(`wrk failed (${code}): ${out}`));
    });
  });
}

function formatRun(run: Run): string {
  const total = run.shares.reduce((a, b) => a + b, 0) || 1;
  const percents = run.shares.map((n) => `${((n / total) * 100).toFixed(0)}%`).join(" / ");
  const held = run.load === "keepalive" ? `  connections ${run.connections.join(" / ")}` : "";
  return `${run.policy.padEnd(4)} -w${run.workers} ${run.load.padEnd(9)} round ${run.round}  ` +
    `${run.requestsPerSecond.toFixed(0).padStart(6)} req/s  shares ${percents}  (max/min ${(run.shares[0]! / Math.max(1, run.shares.at(-1)!)).toFixed(2)})${held}  errors ${run.errors}`;
}

async function main(args: string[]): Promise<number> {
  let options: Options | undefined;
  try {
    options = parseOptions(args);
  } catch (error) {
    process.stderr.write(`sched-balance: ${error instanceof Error ? error.message : String(error)} (see --help)\n`);
    return 2;
  }
  if (!options) {
    process.stdout.write(HELP);
    return 0;
  }
  killTrackedOnExit();
  const dir = mkdtempSync(join(tmpdir(), "mgr-sched-"));
  const script = join(dir, "count-pids.lua");
  writeFileSync(script, COUNT_PIDS);
  try {
    for (let round = 1; round <= options.rounds; round++) {
      for (const workers of options.workers) {
        for (const load of options.loads) {
          for (const policy of options.policies) {
            process.stdout.write(`${formatRun(await measure(policy, workers, load, round, options, script))}\n`);
          }
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return 0;
}

process.exit(await main(process.argv.slice(2)));
