/**
 * `npx tsx bench/node-reuseport.ts`: on Node 24, a shared `node:cluster` socket (`SCHED_NONE`, what
 * mgr's Node master does) against a listening socket per worker (`reusePort`, Node 22.12+ / 23.1+),
 * with bench/node-reuseport-cluster.mjs as the pool in both modes. Three measures, each interleaved
 * over rounds (the modes alternate which goes first) since the machine is shared:
 *
 * - `throughput`: server pinned to CPU 1, `wrk -t1 -c50` on CPU 0, keep-alive then `Connection: close`,
 *   2 s warm-up discarded; requests per second, CPU of the server's process tree per 10k requests,
 *   and each worker's share.
 * - `balance`: each worker's share under light loads: `wrk -c4` and `-c8` with `Connection: close`,
 *   and a client here opening one connection per request at a fixed rate.
 * - `drain`: `wrk -c50` with `Connection: close` while the pool swaps workers one after the other
 *   (new one listening first, then the old one closes its listener, finishes and exits); wrk's errors
 *   are the requests lost. A reuseport listener that closes resets the connections queued on it
 *   unless `net.ipv4.tcp_migrate_req` is 1: `--migrate-req 0|1` runs the whole script in a network
 *   namespace of its own (`unshare -n`, root) with that value, leaving the machine's untouched.
 *
 * Every process started is killed by its process group at the end. See BENCHMARKS.md ("reusePort on
 * Node 24") for the figures.
 *
 * @module
 */

import { spawn } from "node:child_process";
import type { ChildProcessByStdio } from "node:child_process";
import { readFileSync } from "node:fs";
import { get } from "node:http";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { findFreePort } from "./free-port.ts";
import { killTrackedOnExit, signalGroup, trackGroup, untrack } from "./live-processes.ts";
import { diffTreeTicks, readTreeTicks } from "./process-tree-cpu.ts";
import { parseWrkOutput } from "./wrk.ts";
import { runChild } from "../src/bench/run-child.ts";
import { median } from "../src/bench/stats.ts";
import { installNode24 } from "../test/support/node24.ts";

const CLUSTER = fileURLToPath(new URL("./node-reuseport-cluster.mjs", import.meta.url));
const MIGRATE_REQ = "/proc/sys/net/ipv4/tcp_migrate_req";
const MODES = ["shared", "reuseport"] as const;
type Mode = (typeof MODES)[number];
const PHASES = ["throughput", "balance", "drain"] as const;
type Phase = (typeof PHASES)[number];

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    node: { type: "string" },
    workers: { type: "string", default: "2,4" },
    rounds: { type: "string", default: "4" },
    duration: { type: "string", default: "5" },
    warmup: { type: "string", default: "2" },
    phases: { type: "string", default: PHASES.join(",") },
    rate: { type: "string", default: "150" },
    "migrate-req": { type: "string" },
  },
  strict: true,
});
const workerCounts = values.workers.split(",").map(Number);
const rounds = Number(values.rounds);
const durationS = Number(values.duration);
const warmupS = Number(values.warmup);
const rate = Number(values.rate);
const phases = values.phases.split(",") as Phase[];
for (const phase of phases) if (!PHASES.includes(phase)) throw new RangeError(`Unknown phase \`${phase}\``);

// Under `--migrate-req`, run again inside a fresh network namespace with that value: the sysctl is
// per namespace, so the machine's own value and other users' sockets are untouched.
if (values["migrate-req"] !== undefined && process.env.MGR_BENCH_NETNS !== "1") {
  const value = values["migrate-req"];
  if (value !== "0" && value !== "1") throw new RangeError("`--migrate-req` takes 0 or 1");
  const setup = `ip link set lo up && echo ${value} > ${MIGRATE_REQ} && exec "$@"`;
  const child = spawn("unshare", ["-n", "--", "sh", "-c", setup, "sh", process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, MGR_BENCH_NETNS: "1" },
  });
  const code = await new Promise<number>((resolve) => child.once("exit", (c) => resolve(c ?? 1)));
  process.exit(code);
}

const node = values.node ?? installNode24();

/** The pool, started: its master's pid (also its process group) and a way to ask it things. */
interface Pool {
  pid: number;
  port: number;
  ask(command: string, answer: string): Promise<string>;
  stop(): Promise<void>;
}

async function startPool(mode: Mode, workers: number): Promise<Pool> {
  const port = await findFreePort();
  const child: ChildProcessByStdio<Writable, Readable, null> = spawn(
    "taskset",
    ["-c", "1", node, CLUSTER, mode, String(port), String(workers)],
    { detached: true, stdio: ["pipe", "pipe", "inherit"] },
  );
  trackGroup(child.pid!);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const waiters: { prefix: string; resolve: (line: string) => void }[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    const index = waiters.findIndex((w) => line.startsWith(w.prefix));
    if (index >= 0) waiters.splice(index, 1)[0]!.resolve(line);
  });
  const next = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${mode} pool: no \`${prefix}\` within 30 s`)), 30_000);
      waiters.push({ prefix, resolve: (line) => (clearTimeout(timer), resolve(line)) });
    });
  await next("ready");
  return {
    pid: child.pid!,
    port,
    ask(command, answer) {
      const line = next(answer);
      child.stdin.write(`${command}\n`);
      return line;
    },
    async stop() {
      signalGroup(child.pid!, "SIGKILL");
      await exited;
      untrack(child.pid!);
    },
  };
}

/** Requests served by each live worker since the pool started, by pid. */
async function counts(pool: Pool): Promise<Map<string, number>> {
  const line = await pool.ask("counts", "counts ");
  const parsed = JSON.parse(line.slice("counts ".length)) as Record<string, [number, number]>;
  return new Map(Object.entries(parsed).map(([pid, [requests]]) => [pid, requests]));
}

/** Each worker's share of the requests between two readings, in percent, largest first. */
function shares(before: Map<string, number>, after: Map<string, number>): number[] {
  const served = [...after].map(([pid, n]) => n - (before.get(pid) ?? 0));
  const total = served.reduce((a, b) => a + b, 0) || 1;
  return served.map((n) => (n / total) * 100).sort((a, b) => b - a);
}

async function wrk(pool: Pool, connections: number, seconds: number, close: boolean): Promise<string> {
  const argv = ["taskset", "-c", "0", "wrk", "-t1", `-c${connections}`, `-d${seconds}s`];
  if (close) argv.push("-H", "Connection: close");
  argv.push(`http://127.0.0.1:${pool.port}/`);
  return (await runChild(argv, (seconds + 15) * 1000, "wrk")).stdout;
}

/** Throughput, CPU per 10k requests and shares of one load, warm-up excluded by the caller. */
async function loadRun(pool: Pool, connections: number, close: boolean) {
  const before = await counts(pool);
  const ticks = readTreeTicks(pool.pid);
  const text = await wrk(pool, connections, durationS, close);
  const cpu = diffTreeTicks(ticks, readTreeTicks(pool.pid));
  const result = parseWrkOutput(text);
  const errors = result.non2xx + result.socketErrors;
  return { rps: result.requestsPerSecond, cpuPer10k: (cpu.cpuMs / result.requests) * 10_000, shares: shares(before, await counts(pool)), errors };
}

/** GETs `/`, each on a connection of its own, `rate` a second for `durationS`; returns the failures. */
async function paced(port: number): Promise<number> {
  let errors = 0;
  const started = Date.now();
  const requests: Promise<void>[] = [];
  for (let i = 0; i < rate * durationS; i++) {
    const due = started + (i * 1000) / rate;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    requests.push(
      new Promise<void>((resolve) => {
        const request = get({ host: "127.0.0.1", port, path: "/", agent: false, timeout: 5_000 }, (response) => {
          response.resume().on("end", resolve);
        });
        request.on("timeout", () => request.destroy(new Error("timed out")));
        request.on("error", () => (errors++, resolve()));
      }),
    );
  }
  await Promise.all(requests);
  return errors;
}

const pct = (s: number[]) => s.map((n) => n.toFixed(0)).join("/");
const results = new Map<string, number[]>();
const record = (key: string, value: number) => results.set(key, [...(results.get(key) ?? []), value]);
const print = (line: string) => process.stdout.write(`${line}\n`);

async function throughput(mode: Mode, workers: number, round: number): Promise<void> {
  const pool = await startPool(mode, workers);
  try {
    await wrk(pool, 50, warmupS, false);
    for (const close of [false, true]) {
      const load = close ? "close" : "keepalive";
      const m = await loadRun(pool, 50, close);
      record(`${load} -w${workers} ${mode} rps`, m.rps);
      record(`${load} -w${workers} ${mode} cpu`, m.cpuPer10k);
      print(`throughput round ${round} -w${workers} ${mode.padEnd(9)} ${load.padEnd(9)} ${m.rps.toFixed(0).padStart(6)} req/s ${m.cpuPer10k.toFixed(0).padStart(5)} CPU ms/10k  shares ${pct(m.shares)}  errors ${m.errors}`);
    }
  } finally {
    await pool.stop();
  }
}

async function balance(mode: Mode, workers: number, round: number): Promise<void> {
  const pool = await startPool(mode, workers);
  try {
    for (const connections of [4, 8]) {
      const m = await loadRun(pool, connections, true);
      record(`c${connections} -w${workers} ${mode} max`, m.shares[0]!);
      record(`c${connections} -w${workers} ${mode} min`, m.shares.at(-1)!);
      print(`balance round ${round} -w${workers} ${mode.padEnd(9)} close -c${connections}  ${m.rps.toFixed(0).padStart(6)} req/s  shares ${pct(m.shares)}  errors ${m.errors}`);
    }
    const before = await counts(pool);
    const errors = await paced(pool.port);
    const s = shares(before, await counts(pool));
    record(`paced -w${workers} ${mode} max`, s[0]!);
    record(`paced -w${workers} ${mode} min`, s.at(-1)!);
    print(`balance round ${round} -w${workers} ${mode.padEnd(9)} paced ${rate}/s  shares ${pct(s)}  errors ${errors}`);
  } finally {
    await pool.stop();
  }
}

async function drain(mode: Mode, workers: number, round: number): Promise<void> {
  const pool = await startPool(mode, workers);
  try {
    const seconds = durationS + 2;
    const loaded = wrk(pool, 50, seconds, true);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    let swaps = 0;
    const end = Date.now() + (seconds - 2) * 1000;
    while (Date.now() < end) {
      await pool.ask("swap", "swapped");
      swaps++;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const text = await loaded;
    const result = parseWrkOutput(text);
    const socket = /Socket errors: (.*)/.exec(text)?.[1] ?? "none";
    record(`drain -w${workers} ${mode} lost`, result.non2xx + result.socketErrors);
    record(`drain -w${workers} ${mode} swaps`, swaps);
    record(`drain -w${workers} ${mode} served`, result.requests);
    print(`drain round ${round} -w${workers} ${mode.padEnd(9)} ${result.requests} requests, ${swaps} swaps, lost ${result.non2xx + result.socketErrors} (socket errors: ${socket}; non-2xx ${result.non2xx})`);
  } finally {
    await pool.stop();
  }
}

killTrackedOnExit();
print(`Node ${(await runChild([node, "--version"], 10_000, "node")).stdout.trim()}, tcp_migrate_req ${readFileSync(MIGRATE_REQ, "utf8").trim()}${process.env.MGR_BENCH_NETNS === "1" ? " (own network namespace)" : ""}`);
const steps = { throughput, balance, drain };
for (const phase of phases) {
  for (let round = 1; round <= rounds; round++) {
    for (const workers of workerCounts) {
      // Alternate which mode goes first, so that a drift of the machine's load favours neither.
      const order = round % 2 === 1 ? MODES : [...MODES].reverse();
      for (const mode of order) await steps[phase](mode, workers, round);
    }
  }
}

print("\nmedians over rounds (ratios: median of per-round reuseport / shared)");
const series = (key: string) => results.get(key) ?? [];
for (const workers of workerCounts) {
  for (const load of ["keepalive", "close"]) {
    if (!results.has(`${load} -w${workers} shared rps`)) continue;
    const ratio = (what: string) => median(series(`${load} -w${workers} reuseport ${what}`).map((v, i) => v / series(`${load} -w${workers} shared ${what}`)[i]!));
    for (const mode of MODES) print(`${load} -w${workers} ${mode.padEnd(9)} ${median(series(`${load} -w${workers} ${mode} rps`)).toFixed(0)} req/s, ${median(series(`${load} -w${workers} ${mode} cpu`)).toFixed(0)} CPU ms/10k`);
    print(`${load} -w${workers} reuseport/shared: throughput ${ratio("rps").toFixed(3)}x, CPU per request ${ratio("cpu").toFixed(3)}x`);
  }
  for (const load of ["c4", "c8", "paced"]) {
    for (const mode of MODES) {
      if (!results.has(`${load} -w${workers} ${mode} max`)) continue;
      print(`${load} -w${workers} ${mode.padEnd(9)} largest share ${series(`${load} -w${workers} ${mode} max`).map((n) => n.toFixed(0)).join(", ")}%; smallest ${series(`${load} -w${workers} ${mode} min`).map((n) => n.toFixed(0)).join(", ")}%`);
    }
  }
  for (const mode of MODES) {
    if (!results.has(`drain -w${workers} ${mode} lost`)) continue;
    const sum = (what: string) => series(`drain -w${workers} ${mode} ${what}`).reduce((a, b) => a + b, 0);
    print(`drain -w${workers} ${mode.padEnd(9)} lost ${sum("lost")} of ${sum("served")} over ${sum("swaps")} swaps`);
  }
}
process.exit(0);
