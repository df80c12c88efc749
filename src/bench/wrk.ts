/**
 * Running wrk and reading its report.
 *
 * @module
 */

import { execFileSync, spawn } from "node:child_process";
import { trackPid, untrack } from "./live-processes.ts";

/** The one line printed when wrk is missing. */
export const WRK_MISSING =
  "bench: wrk is not installed; install it with `apt-get update && apt-get install -y wrk` (Debian/Ubuntu), then run `npm run bench` again";

/** Returns wrk's version line, or undefined when wrk is not on the PATH. */
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

/** Options of {@linkcode runWrk}. */
export interface RunWrkOptions {
  url: string;
  connections: number;
  durationS: number;
  /** The CPU wrk is pinned to with `taskset`. */
  cpu: number;
}

/** What one wrk run reports. */
export interface WrkResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  /** Responses outside 2xx and 3xx (wrk counts them together). */
  non2xx: number;
  /** connect + read + write + timeout socket errors. */
  socketErrors: number;
  latencyP50Ms?: number;
  latencyP99Ms?: number;
}

/**
 * Runs `wrk -t1` with keep-alive connections (wrk's default, HTTP/1.1) for `durationS` seconds.
 *
 * @throws {Error} when wrk fails, outlives its duration by far, or prints no report.
 */
export async function runWrk(options: RunWrkOptions): Promise<WrkResult> {
  const args = ["-c", String(options.cpu), "wrk", "-t1", `-c${options.connections}`, `-d${options.durationS}s`, "--latency", options.url];
  const child = spawn("taskset", args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const deadlineMs = (options.durationS + 15) * 1000;
  const code = await new Promise<number | string>((resolve, reject) => {
    child.once("error", (error) => reject(new Error(`Cannot run wrk: ${error.message}`)));
    child.once("spawn", () => trackPid(child.pid!));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve(`killed after ${deadlineMs / 1000} s`);
    }, deadlineMs);
    child.once("exit", (exitCode, signal) => {
      clearTimeout(timer);
      resolve(signal ?? exitCode ?? -1);
    });
  });
  if (child.pid) untrack(child.pid);
  if (code !== 0) throw new Error(`wrk failed (${code}): ${(stderr || stdout).trim()}`);
  return parseWrkOutput(stdout);
}

/**
 * Reads wrk's text report.
 *
 * @throws {Error} when the report has no request count, quoting it.
 */
export function parseWrkOutput(text: string): WrkResult {
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
    latencyP99Ms: percentile(text, "99"),
  };
}

function percentile(text: string, p: string): number | undefined {
  const match = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m").exec(text);
  return match ? toMs(Number(match[1]), match[2]!) : undefined;
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
