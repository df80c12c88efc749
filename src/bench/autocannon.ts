/**
 * autocannon, the load generator when wrk is missing: run as `node autocannon.js --json` in a child
 * process, so that it never shares this process's event loop and its CPU time is its own.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { LoadOptions, LoadResult } from "./load-run.ts";
import { runChild } from "./run-child.ts";

/** autocannon's CLI script and version, or undefined when it is not installed. */
export function findAutocannon(): { script: string; version: string } | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve("autocannon/package.json");
    const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version: string };
    return { script: manifest.replace(/package\.json$/, "autocannon.js"), version };
  } catch {
    return undefined;
  }
}

/** The Node that runs autocannon: this one when this is Node, else `node` on the PATH. */
function nodeExecutable(): string {
  if (!("Bun" in globalThis) && !("Deno" in globalThis)) return process.execPath;
  return execFileSync("sh", ["-c", "command -v node"], { encoding: "utf8" }).trim() || "node";
}

/**
 * Runs autocannon with keep-alive connections for `durationS` seconds.
 *
 * @throws {Error} when it fails or prints no report.
 */
export async function runAutocannon(script: string, options: LoadOptions): Promise<LoadResult> {
  const argv = [nodeExecutable(), script, "--json", "-c", String(options.connections), "-d", String(options.durationS), options.url];
  const { stdout } = await runChild(options.cpus === undefined ? argv : ["taskset", "-c", options.cpus, ...argv], (options.durationS + 15) * 1000, "autocannon");
  return parseAutocannonOutput(stdout);
}

/**
 * Reads autocannon's `--json` report.
 *
 * @throws {Error} when it is not one.
 */
export function parseAutocannonOutput(text: string): LoadResult {
  let report: {
    duration: number;
    requests: { total: number };
    latency: { p50: number; p90: number; p99: number };
    non2xx: number;
    errors: number;
    timeouts: number;
  };
  try {
    report = JSON.parse(text.trim().split("\n").pop() ?? "");
  } catch {
    throw new Error(`Cannot read autocannon's report:\n${text}`);
  }
  const requests = report.requests.total;
  return {
    requests,
    seconds: report.duration,
    requestsPerSecond: requests / report.duration,
    non2xx: report.non2xx,
    // autocannon counts timeouts among its errors too.
    socketErrors: report.errors,
    latencyP50Ms: report.latency.p50,
    latencyP90Ms: report.latency.p90,
    latencyP99Ms: report.latency.p99,
  };
}
