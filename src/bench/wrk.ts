/**
 * Running wrk and reading its report.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import type { LoadOptions, LoadResult } from "./load-run.ts";
import { runChild } from "./run-child.ts";

/** wrk's version line, or undefined when wrk is not on the PATH. */
export function findWrk(): string | undefined {
  try {
    // `wrk -v` prints its version and usage, then exits 1.
    execFileSync("wrk", ["-v"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const { code, stdout } = error as NodeJS.ErrnoException & { stdout?: string };
    if (code === "ENOENT") return undefined;
    return stdout?.split("\n")[0]?.replace(/\s*Copyright.*$/, "").trim() || "wrk";
  }
  return "wrk";
}

/**
 * Runs `wrk -t1` with keep-alive connections (wrk's default, HTTP/1.1) for `durationS` seconds.
 *
 * @throws {Error} when wrk fails, outlives its duration by far, or prints no report.
 */
export async function runWrk(options: LoadOptions): Promise<LoadResult> {
  const argv = ["wrk", "-t1", `-c${options.connections}`, `-d${options.durationS}s`, "--latency", options.url];
  const { stdout } = await runChild(options.cpus === undefined ? argv : ["taskset", "-c", options.cpus, ...argv], (options.durationS + 15) * 1000, "wrk");
  return parseWrkOutput(stdout);
}

/**
 * Reads wrk's text report.
 *
 * @throws {Error} when the report has no request count, quoting it.
 */
export function parseWrkOutput(text: string): LoadResult {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(text);
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(text);
  if (!total || !rate) throw new Error(`Cannot read wrk's report:\n${text}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  return {
    requests: Number(total[1]),
    seconds: toMs(Number(total[2]), total[3]!) / 1000,
    requestsPerSecond: Number(rate[1]),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
    latencyP50Ms: percentile(text, "50"),
    latencyP90Ms: percentile(text, "90"),
    latencyP99Ms: percentile(text, "99"),
  };
}

function percentile(text: string, p: string): number | null {
  const match = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m").exec(text);
  return match ? toMs(Number(match[1]), match[2]!) : null;
}

function toMs(value: number, unit: string): number {
  switch (unit) {
    case "us":
      return value / 1000;
    case "ms":
      return value;
    case "s":
      return value * 1000;
    default:
      return value * 60_000;
  }
}
