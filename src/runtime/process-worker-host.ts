/**
 * What a worker host is made of on every runtime alike: Node's, Bun's and Deno's `process` carry the
 * spec in the environment, the channel to the master, signals, output, the title and the exit the
 * same way, so each runtime's host adds only how it imports, serves and names a client.
 *
 * @module
 */

import { processChannel, type IpcProcess } from "./process-channel.ts";
import type { WorkerHost, WorkerSignal } from "./worker-host.ts";
import { takeWorkerSpec } from "./worker-spec-env.ts";

/** The part of `process` a worker host uses. */
export interface WorkerProcess extends IpcProcess {
  pid: number;
  env: Record<string, string | undefined>;
  title: string;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  memoryUsage: { rss(): number };
  on(event: "message", listener: (message: unknown) => void): unknown;
  on(event: WorkerSignal, listener: () => void): unknown;
  exit(code: number): never;
}

/** What a runtime's worker host adds to {@linkcode processWorkerHost}. */
export type RuntimeWorkerHostParts = Pick<WorkerHost, "importModule" | "serve" | "clientOf">;

/**
 * The runtime-independent part of this worker's {@linkcode WorkerHost}, over `proc`. Reads (and
 * removes) the worker's spec from `proc.env`.
 *
 * @example
 * ```ts
 * const host: WorkerHost = { ...processWorkerHost(process), importModule, serve, clientOf };
 * ```
 */
export function processWorkerHost(proc: WorkerProcess): Omit<WorkerHost, keyof RuntimeWorkerHostParts> {
  return {
    spec: takeWorkerSpec(proc.env),
    pid: proc.pid,
    ...processChannel(proc),
    onSignal(signal, fn) {
      proc.on(signal, fn);
    },
    rss: () => proc.memoryUsage.rss(),
    writeError(text) {
      proc.stderr.write(text);
    },
    writeOutput(text) {
      proc.stdout.write(text);
    },
    setProcessTitle(title) {
      // Deno sets the thread's command name, which `ps -o comm` and `top` show (15 characters at most).
      proc.title = title;
    },
    exit: (code) => proc.exit(code),
  };
}
