/**
 * What the master logs about a hung worker before it kills it: where its JavaScript was executing
 * and the requests in flight on it, so a `WORKER TIMEOUT` says what to fix (Gunicorn's says only the
 * pid, and its most repeated complaint is exactly that).
 *
 * @module
 */

import { escapeLogText } from "./log-escape.ts";
import type { InFlightRequest, StackFrame, WorkerStackCapture } from "./runtime.ts";

/**
 * How long the master waits for a hung worker's stack before it kills the worker anyway, in
 * milliseconds: a capture takes 180-280 ms where it works (measured on Node), so a worker that cannot
 * be sampled costs at most this much more than `timeout`.
 */
export const STACK_CAPTURE_DEADLINE_MS = 1_500;

/** Most frames logged: the innermost are the ones that say where the loop is stuck. */
const LOGGED_FRAMES = 12;
/** Most in-flight requests named in the log. */
const LOGGED_REQUESTS = 10;

/** How the capture went: the stack, or why there is none. */
export type StackOutcome = { capture: WorkerStackCapture } | { unavailable: string };

/** The requests a worker told the master of in its last heartbeat, and how long ago that was. */
export interface HeardRequests {
  requests: readonly InFlightRequest[];
  /** Milliseconds since that heartbeat: added to each request's age. */
  sinceMs: number;
}

/**
 * The log text for a hung worker: its stack (or why there is none), then its requests in flight,
 * read from the paused worker where the capture could, else as of its last heartbeat.
 *
 * @example
 * ```ts
 * formatHungWorker(123, { capture: { frames: [{ functionName: "spin", url: "/app/app.ts", line: 3, column: 9 }] } }, undefined);
 * // "Worker (pid:123) was executing:\n    at spin (/app/app.ts:3:9)\nRequests in flight on worker (pid:123): none"
 * ```
 */
export function formatHungWorker(pid: number, outcome: StackOutcome, heard: HeardRequests | undefined): string {
  const lines: string[] = [];
  if ("capture" in outcome && outcome.capture.frames.length > 0) {
    lines.push(`Worker (pid:${pid}) was executing:`);
    const frames = outcome.capture.frames;
    for (const frame of frames.slice(0, LOGGED_FRAMES)) lines.push(`    at ${formatFrame(frame)}`);
    if (frames.length > LOGGED_FRAMES) lines.push(`    … ${frames.length - LOGGED_FRAMES} more frames`);
  } else {
    const why = "capture" in outcome ? "its stack was empty" : outcome.unavailable;
    lines.push(`Worker (pid:${pid}) stack unavailable: ${why}`);
  }
  const read = "capture" in outcome ? outcome.capture.inFlight : undefined;
  if (read) lines.push(`Requests in flight on worker (pid:${pid}): ${formatRequests(read)}`);
  else if (heard) {
    const aged = heard.requests.map((request) => ({ ...request, ageMs: request.ageMs + heard.sinceMs }));
    lines.push(`Requests in flight on worker (pid:${pid}) at its last heartbeat, ${formatSeconds(heard.sinceMs)} ago: ${formatRequests(aged)}`);
  } else lines.push(`Requests in flight on worker (pid:${pid}): unknown`);
  return lines.join("\n");
}

/** `spin (/app/app.ts:3:9)`, or `<anonymous> (…)` for a function without a name. */
export function formatFrame(frame: StackFrame): string {
  return `${frame.functionName || "<anonymous>"} (${frame.url}:${frame.line}:${frame.column})`;
}

function formatRequests(requests: readonly InFlightRequest[]): string {
  if (requests.length === 0) return "none";
  const oldest = [...requests].sort((a, b) => b.ageMs - a.ageMs);
  const named = oldest.slice(0, LOGGED_REQUESTS).map((r) => `${escapeLogText(`${r.method} ${r.path}`)} (${formatSeconds(r.ageMs)})`).join(", ");
  return requests.length > LOGGED_REQUESTS ? `${named} and ${requests.length - LOGGED_REQUESTS} more` : named;
}

function formatSeconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
}
