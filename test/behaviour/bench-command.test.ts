/**
 * `mgr bench` end to end: a smoke bench of node, bun and deno (mgr and each runtime's bare setup, one
 * round of 1 s), its JSON held to the versioned schema with plausible values, its HTML report rendered
 * in headless Chromium (Debian's `chromium`, which .ci/run installs) with one series per runtime in
 * every chart, and bad input answered with one line and the right exit code.
 */

import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BENCH_REPORT_SCHEMA } from "../../src/bench/report-schema.ts";
import type { BenchReport } from "../../src/bench/report.ts";
import { RUNTIME_COLORS } from "../../src/bench/html-report.ts";
import { validateSchema, type SchemaNode } from "../support/json-schema.ts";
import { FIXTURES, ROOT, userEnvironment, waitFor } from "./harness.ts";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);
const RUNTIMES = ["node", "bun", "deno"] as const;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `mgr bench ARGS` on Node, from the repository (where node_modules/.bin has bun and deno). */
function mgrBench(args: string[], options: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${ROOT}dist/src/cli/bin.js`, "bench", ...args], {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? userEnvironment(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGINT"), options.timeoutMs ?? 50_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Resolves once no process mentions `text` (a SIGKILLed process may take a moment to go); throws after 5 s. */
async function expectNoProcessMentioning(text: string): Promise<void> {
  await waitFor(`no process left that mentions ${text}`, () => processesMentioning(text).length === 0, { timeoutMs: 5_000 });
}

/** Pids of live processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  return readdirSync("/proc").filter((entry) => /^\d+$/.test(entry)).flatMap((entry) => {
    try {
      return readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(text) ? [Number(entry)] : [];
    } catch {
      return [];
    }
  });
}

let dir: string;
let app: string;

beforeAll(() => {
  // A copy of the suite's app in a directory of its own: its path finds every process the bench starts.
  dir = mkdtempSync(join(tmpdir(), "mgr-bench-"));
  app = join(dir, "app.ts");
  copyFileSync(`${FIXTURES}app.ts`, app);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("mgr bench", () => {
  it("measures mgr and the bare setup on node, bun and deno, and reports them as JSON and HTML", async () => {
    expect(CHROMIUM, "Debian's chromium renders the HTML report: `apt-get install -y chromium` (.ci/run does)").toBeDefined();
    const json = join(dir, "report.json");
    const html = join(dir, "report.html");
    const run = await mgrBench([app, "--runtimes", "node,bun,deno", "--baseline", "--duration", "1", "--warmup", "0", "--rounds", "1", "--connections", "10", "--json", json, "--html", html]);
    expect(run.stderr).not.toMatch(/mgr: error/);
    expect(run.code).toBe(0);
    // Every server and load generator is gone once the command has exited.
    await expectNoProcessMentioning(app);

    // The terminal: a progress line per measurement, the table, the ratios.
    expect(run.stderr).toMatch(/\[6\/6\] deno serve --parallel, round 1 of 1: .*ETA/);
    for (const setup of ["mgr (node)", "node:cluster", "mgr (bun)", "Bun.serve reusePort", "mgr (deno)", "deno serve --parallel"]) {
      expect(run.stdout).toContain(`| ${setup}`);
    }
    expect(run.stdout).toMatch(/mgr \(bun\) \/ Bun\.serve reusePort: throughput \d+\.\d{3}x/);
    expect(run.stdout).toMatch(/mgr \(deno\) \/ mgr \(node\): throughput \d+\.\d{3}x/);

    const report = JSON.parse(readFileSync(json, "utf8")) as BenchReport;
    expect(validateSchema(BENCH_REPORT_SCHEMA as unknown as SchemaNode, report)).toEqual([]);
    expect(report.schemaVersion).toBe(1);
    expect(report.machine.runtimes.map((r) => r.name)).toEqual([...RUNTIMES]);
    expect(report.setups.map((s) => [s.runtime, s.kind])).toEqual(RUNTIMES.flatMap((r) => [[r, "mgr"], [r, "baseline"]]));
    for (const setup of report.setups) {
      const [round] = setup.rounds;
      expect(setup.rounds).toHaveLength(1);
      expect(round!.requests, setup.id).toBeGreaterThan(100);
      expect(round!.requestsPerSecond, setup.id).toBeGreaterThan(100);
      expect(round!.non2xx + round!.socketErrors, setup.id).toBe(0);
      const { p50, p90, p99 } = round!.latencyMs;
      // autocannon (where wrk is missing) reports whole milliseconds: a fast server's median is 0.
      expect(p50, setup.id).toBeGreaterThanOrEqual(0);
      expect(p90!, setup.id).toBeGreaterThanOrEqual(p50!);
      expect(p99!, setup.id).toBeGreaterThanOrEqual(p90!);
      // A request costs microseconds to milliseconds of CPU: per 1k, between 1 ms and 10 s.
      expect(round!.cpuMsPer1kRequests, setup.id).toBeGreaterThan(1);
      expect(round!.cpuMsPer1kRequests, setup.id).toBeLessThan(10_000);
      expect(round!.rssBytes.master, setup.id).toBeGreaterThan(5 * 1024 * 1024);
      expect(round!.coldStartMs, setup.id).toBeGreaterThan(0);
      expect(round!.coldStartMs, setup.id).toBeLessThan(30_000);
      expect(setup.summary.requestsPerSecond!.median).toBe(round!.requestsPerSecond);
      if (setup.kind === "mgr") {
        expect(round!.rssBytes.workers, setup.id).toHaveLength(2);
        for (const rss of round!.rssBytes.workers) expect(rss, setup.id).toBeGreaterThan(5 * 1024 * 1024);
        expect(round!.workerReplaceMs, setup.id).toBeGreaterThan(0);
        expect(round!.workerReplaceMs, setup.id).toBeLessThan(30_000);
        expect(round!.reload!.requests, setup.id).toBeGreaterThan(100);
        expect(round!.reload!.failedRequests, setup.id).toBeLessThanOrEqual(round!.reload!.requests);
      } else {
        expect(round!.workerReplaceMs).toBeNull();
        expect(round!.reload).toBeNull();
      }
    }
    expect(report.comparisons.map((c) => `${c.kind}: ${c.subject} / ${c.reference}`)).toEqual([
      "baseline: mgr (node) / node:cluster",
      "baseline: mgr (bun) / Bun.serve reusePort",
      "baseline: mgr (deno) / deno serve --parallel",
      "runtime: mgr (bun) / mgr (node)",
      "runtime: mgr (deno) / mgr (node)",
    ]);
    for (const comparison of report.comparisons) expect(comparison.throughputRatio).toBeGreaterThan(0);

    await expectChartsInChromium(html);
  });

  it("falls back to autocannon when asked, and names it", async () => {
    const json = join(dir, "autocannon.json");
    const run = await mgrBench([app, "--runtimes", "node", "--load", "autocannon", "--duration", "1", "--warmup", "0", "--rounds", "1", "--connections", "10", "--json", json]);
    expect(run.stderr).not.toMatch(/mgr: error/);
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(json, "utf8")) as BenchReport;
    expect(validateSchema(BENCH_REPORT_SCHEMA as unknown as SchemaNode, report)).toEqual([]);
    expect(report.machine.loadGenerator.name).toBe("autocannon");
    expect(run.stdout).toMatch(/autocannon \d+\.\d+\.\d+/);
    expect(report.setups[0]!.rounds[0]!.requests).toBeGreaterThan(100);
    await expectNoProcessMentioning(app);
  });

  it("says in one line that an app which does not load cannot be measured, and exits 1", async () => {
    const broken = join(dir, "import-error.ts");
    copyFileSync(`${FIXTURES}import-error.ts`, broken);
    const run = await mgrBench([broken, "--runtimes", "node", "--duration", "1", "--rounds", "1"]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split("\n").filter((line) => line.startsWith("mgr: error:"))).toEqual([
      expect.stringMatching(/^mgr: error: mgr \(node\) exited before it served \(.*fixture import failure.*\); check that the app loads/),
    ]);
    await expectNoProcessMentioning(broken);
  });

  it("says in one line that a path answering 404 cannot be measured, and exits 1", async () => {
    const run = await mgrBench([app, "--runtimes", "node", "--path", "/missing", "--duration", "1", "--rounds", "1"]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(/^mgr: error: GET \/missing answered 404 on mgr \(node\); pass --path with a route of the app that answers 2xx$/m);
    await expectNoProcessMentioning(app);
  });

  it("says in one line when no runtime is found, and exits 1", async () => {
    const run = await mgrBench([app, "--runtimes", "bun,deno"], { cwd: dir, env: { ...userEnvironment(), PATH: "/nonexistent" } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^mgr: error: no runtime found: looked for bun, deno in \.\/node_modules\/\.bin and on the PATH; install one/m);
    expect(run.stderr.split("\n").filter((line) => line.startsWith("mgr: error:"))).toHaveLength(1);
  });

  it("says in one line when wrk is asked for and missing, and exits 1", async () => {
    const run = await mgrBench([app, "--runtimes", "node", "--load", "wrk"], { env: { ...userEnvironment(), PATH: "/nonexistent" } });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe("mgr: error: wrk is not installed; install it (`apt-get install -y wrk` on Debian/Ubuntu), or pass --load autocannon");
  });

  it.each([
    [[], "bench needs the APP to serve"],
    [["APP", "--rounds", "0"], "option `--rounds` must be an integer >= 1, got `0`"],
    [["APP", "--runtimes", "node,java"], "option `--runtimes` takes a comma-separated list of node, bun, deno"],
    [["APP", "--duraton", "1"], "unknown option --duraton for `mgr bench`"],
    [["/nonexistent/app.ts"], "cannot find the app /nonexistent/app.ts"],
  ])("rejects %j with exit 2 and one line", async (args, message) => {
    const run = await mgrBench(args.map((arg) => (arg === "APP" ? app : arg)));
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain(`mgr: error: ${message}`);
  });
});

/**
 * Opens the report in headless Chromium with the network cut off, and checks every chart: one series
 * per runtime in the SVG, and in a screenshot of the chart, pixels of each runtime's color.
 */
async function expectChartsInChromium(html: string): Promise<void> {
  const browser = await puppeteer.launch({ executablePath: CHROMIUM!, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
  try {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    await page.setViewport({ width: 1600, height: 1200 });
    await page.goto(`file://${html}`, { waitUntil: "load" });
    // Self-contained: nothing but the file itself is fetched.
    expect(requests).toEqual([`file://${html}`]);

    const charts = await page.$$eval("svg.chart", (svgs) => svgs.map((svg) => ({
      id: svg.getAttribute("data-chart"),
      series: [...svg.querySelectorAll("g.series")].map((g) => ({
        runtime: g.getAttribute("data-runtime"),
        bars: [...g.querySelectorAll("rect.bar")].map((rect) => Number(rect.getAttribute("height"))),
      })),
    })));
    expect(charts.map((c) => c.id)).toEqual(["requests-per-second", "latency-p99", "cpu-per-request", "memory"]);
    for (const chart of charts) {
      expect(chart.series.map((s) => s.runtime), chart.id!).toEqual([...RUNTIMES]);
      // mgr and the bare setup: two bars per runtime, each drawn.
      for (const series of chart.series) {
        expect(series.bars, `${chart.id} ${series.runtime}`).toHaveLength(2);
        for (const height of series.bars) expect(height).toBeGreaterThan(0);
      }
    }
    const machine = await page.$eval("table.facts", (table) => table.textContent ?? "");
    expect(machine).toMatch(/CPU.*\d+ CPUs/);
    expect(machine).toMatch(/kernel/);
    expect(machine).toMatch(/node \d+\.\d+\.\d+, bun \d+\.\d+\.\d+, deno \d+\.\d+\.\d+/);

    // What a reader sees: each chart's screenshot holds each runtime's color.
    for (const element of await page.$$("svg.chart")) {
      const png = await element.screenshot({ encoding: "base64" });
      const counts = await page.evaluate(async (data: string, colors: string[]) => {
        const image = new Image();
        image.src = `data:image/png;base64,${data}`;
        await image.decode();
        const canvas = document.createElement("canvas");
        canvas.width = image.width;
        canvas.height = image.height;
        const context = canvas.getContext("2d")!;
        context.drawImage(image, 0, 0);
        const pixels = context.getImageData(0, 0, image.width, image.height).data;
        const wanted = colors.map((hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
        const found = wanted.map(() => 0);
        for (let i = 0; i < pixels.length; i += 4) {
          wanted.forEach(([r, g, b], w) => {
            if (Math.abs(pixels[i]! - r!) <= 2 && Math.abs(pixels[i + 1]! - g!) <= 2 && Math.abs(pixels[i + 2]! - b!) <= 2) found[w]!++;
          });
        }
        return found;
      }, png, RUNTIMES.map((r) => RUNTIME_COLORS[r]!));
      for (const [i, runtime] of RUNTIMES.entries()) expect(counts[i], `pixels of ${runtime} in a chart`).toBeGreaterThan(20);
    }
  } finally {
    await browser.close();
  }
}
