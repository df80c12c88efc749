/**
 * `npx tsx bench/sched-bench.ts`: mgr against bare `node:cluster` under each scheduling policy, in
 * one interleaved run, so that the mgr/bare ratios of both policies are measured on the same machine
 * state. It measures as `npm run bench` does (server pinned to CPU 1, wrk to CPU 0, keep-alive
 * `wrk -t1 -c50`, warm-up discarded, CPU time of the server's process tree), with the policy given
 * to both through `NODE_CLUSTER_SCHED_POLICY`. See BENCHMARKS.md for the figures.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { findFreePort } from "./free-port.ts";
import { killTrackedOnExit } from "./live-processes.ts";
import { diffTreeTicks, readTreeTicks } from "./process-tree-cpu.ts";
import { startServer } from "../src/bench/server-process.ts";
import { buildSetups } from "../src/bench/setups.ts";
import type { Setup } from "../src/bench/setups.ts";
import { median } from "../src/bench/stats.ts";
import { runWrk } from "./wrk.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const APP = join(ROOT, "bench/apps/hello.ts");
const POLICIES = ["rr", "none"] as const;

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    duration: { type: "string", default: "5" },
    warmup: { type: "string", default: "2" },
    rounds: { type: "string", default: "6" },
  },
  strict: true,
});
const durationS = Number(values.duration);
const warmupS = Number(values.warmup);
const rounds = Number(values.rounds);

/** The `mgr bench --baseline` setups of Node (mgr and node:cluster, 2 workers), each under each policy. */
const node = { name: "node" as const, executable: process.execPath, version: process.versions.node };
const variants = POLICIES.flatMap((policy) =>
  buildSetups({ runtimes: [node], workers: [2], baseline: "primary", namedExport: false }).map((setup): Setup => ({
    ...setup,
    name: `${setup.name} ${policy}`,
    env: { ...setup.env, NODE_CLUSTER_SCHED_POLICY: policy },
  }))
);

async function measure(target: Setup): Promise<{ rps: number; cpuPer10k: number }> {
  const port = await findFreePort();
  const server = await startServer(target, {
    context: { root: ROOT, app: APP, port },
    path: "/",
    cpus: "1",
    readyTimeoutMs: 30_000,
    env: process.env,
  });
  try {
    const load = { url: server.url, connections: 50, cpu: 0 };
    await runWrk({ ...load, durationS: warmupS });
    const before = readTreeTicks(server.pid);
    const result = await runWrk({ ...load, durationS });
    const cpu = diffTreeTicks(before, readTreeTicks(server.pid));
    if (result.non2xx + result.socketErrors > 0) throw new Error(`${target.name}: requests failed`);
    return { rps: result.requestsPerSecond, cpuPer10k: (cpu.cpuMs / result.requests) * 10_000 };
  } finally {
    await server.stop();
  }
}

killTrackedOnExit();
const results = new Map<string, { rps: number; cpuPer10k: number }[]>(variants.map((v) => [v.name, []]));
for (let round = 1; round <= rounds; round++) {
  for (const target of variants) {
    const m = await measure(target);
    results.get(target.name)!.push(m);
    process.stdout.write(`round ${round} ${target.name.padEnd(20)} ${m.rps.toFixed(0).padStart(7)} req/s ${m.cpuPer10k.toFixed(1).padStart(7)} CPU ms/10k\n`);
  }
}
process.stdout.write("\n");
for (const target of variants) {
  const runs = results.get(target.name)!;
  process.stdout.write(`${target.name.padEnd(20)} median ${median(runs.map((r) => r.rps)).toFixed(0)} req/s, ${median(runs.map((r) => r.cpuPer10k)).toFixed(1)} CPU ms/10k\n`);
}
/** Median over rounds of subject/baseline, each round's two runs measured back to back. */
const ratio = (subject: string, baseline: string, pick: (m: { rps: number; cpuPer10k: number }) => number) =>
  median(results.get(subject)!.map((m, i) => pick(m) / pick(results.get(baseline)![i]!)));
for (const policy of POLICIES) {
  const mgr = `mgr (node) ${policy}`, bare = `node:cluster ${policy}`;
  process.stdout.write(`${mgr} / ${bare}: throughput ${ratio(mgr, bare, (m) => m.rps).toFixed(3)}x, CPU per request ${ratio(mgr, bare, (m) => m.cpuPer10k).toFixed(3)}x (medians of per-round ratios)\n`);
}
process.stdout.write(`node:cluster none / node:cluster rr: throughput ${ratio("node:cluster none", "node:cluster rr", (m) => m.rps).toFixed(3)}x, CPU per request ${ratio("node:cluster none", "node:cluster rr", (m) => m.cpuPer10k).toFixed(3)}x\n`);
process.exit(0);
