/**
 * Running a load generator to its end: tracked by pid so that an interrupted bench kills it, bounded
 * by a deadline, its output collected.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { trackPid, untrack } from "./live-processes.ts";

/**
 * Runs `argv` and resolves with its output once it exits 0.
 *
 * @throws {Error} naming `what` when it cannot start, exits otherwise, or outlives `deadlineMs`.
 */
export async function runChild(argv: string[], deadlineMs: number, what: string): Promise<{ stdout: string; stderr: string }> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | string>((resolve, reject) => {
    child.once("error", (error) => reject(new Error(`Cannot run ${what}: ${error.message}`)));
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
  if (code !== 0) throw new Error(`${what} failed (${code}): ${(stderr || stdout).trim()}`);
  return { stdout, stderr };
}
