/**
 * `mgr status [--json] | top | reload | scale N | stop [--quick]`: talk to a running master over its
 * control socket.
 *
 * @module
 */

import { MAX_WORKERS } from "../core/config.ts";
import { EXIT_FAILURE, EXIT_OK } from "../core/exit-codes.ts";
import type { StatusReport } from "../core/supervisor.ts";
import type { Runtime } from "../core/runtime.ts";
import type { CliCommand, ControlCommand } from "./args.ts";
import { ControlError, ControlSession } from "./control-client.ts";
import type { ControlRequest } from "./control-request.ts";
import { controlSocketLocation, controlSocketPathProblem } from "./control-socket.ts";
import type { ConfigLoader } from "./config-loader.ts";
import type { MainOptions } from "./main-options.ts";
import { UsageError } from "./usage-error.ts";

type ControlCli = Extract<CliCommand, { command: ControlCommand }>;

/** Options of {@linkcode runControlCommand}. */
export interface ControlOptions extends MainOptions {
  runtime: Runtime;
  loadConfig: ConfigLoader;
  /** How long to wait for the master to accept and to answer. [CONTROL_TIMEOUT_MS] */
  timeoutMs?: number;
  /** `mgr top`: how often the table is refreshed, in milliseconds. [TOP_INTERVAL_MS] */
  topIntervalMs?: number;
  /** `mgr top`: how many refreshes before it returns (tests); until interrupted when absent. */
  topFrames?: number;
  /** `mgr top`: true when standard output is a terminal, whose screen is then cleared between frames. */
  stdoutIsTTY?: boolean;
}

/** How often `mgr top` asks the master for its status, in milliseconds. */
export const TOP_INTERVAL_MS = 1_000;

/**
 * Sends `command` to the master the flags and config point at, prints the answer, returns the exit
 * code. Whatever goes wrong on the way (no master, no permission, no answer, a garbled answer) is one
 * line on stderr and exit 1, never a stack.
 */
export async function runControlCommand(command: ControlCli, options: ControlOptions): Promise<number> {
  const request = toRequest(command);
  const { config } = await options.loadConfig(0);
  const location = command.controlPath
    ? { path: command.controlPath, privateDirectory: false }
    : controlSocketLocation(config, options.env);
  // No master can listen there, and Node would connect to the path cut short: a usage problem, said once.
  const tooLong = controlSocketPathProblem(location);
  if (tooLong) throw new UsageError(tooLong);
  let session: ControlSession | undefined;
  try {
    session = await ControlSession.open(location, { timeoutMs: options.timeoutMs });
    const reply = await session.ask(request);
    if (!reply.ok) {
      options.stderr(`mgr: error: the master refused: ${reply.error.split("\n")[0]}\n`);
      return EXIT_FAILURE;
    }
    if (command.command === "top") return await runTop(session, reply.status!, options);
    switch (request.command) {
      case "status":
        options.stdout(command.json ? `${JSON.stringify(reply.status, null, 2)}\n` : formatStatus(reply.status!));
        break;
      case "reload":
        options.stdout("Reloading: new workers replace the old ones as they become ready\n");
        break;
      case "scale":
        options.stdout(`Scaling to ${request.workers} worker${request.workers === 1 ? "" : "s"}\n`);
        break;
      case "stop":
        options.stdout(request.quick ? "Stopping now…\n" : "Stopping: workers finish their requests…\n");
        // The master ends the connection as it exits.
        await session.closed;
        options.stdout("Stopped\n");
        break;
    }
    return EXIT_OK;
  } catch (error) {
    const message = error instanceof ControlError ? error.message : `cannot talk to the master on ${location.path}: ${String(error)}`;
    options.stderr(`mgr: error: ${message.split("\n")[0]}\n`);
    return EXIT_FAILURE;
  } finally {
    session?.close();
  }
}

function toRequest(command: ControlCli): ControlRequest {
  switch (command.command) {
    case "scale": {
      const workers = Number(command.count);
      if (!/^\d+$/.test(command.count ?? "") || workers < 1 || workers > MAX_WORKERS) {
        throw new UsageError(`scale needs an integer from 1 to ${MAX_WORKERS}, got "${command.count}"`);
      }
      return { command: "scale", workers };
    }
    case "stop":
      return { command: "stop", quick: command.quick };
    case "top":
      return { command: "status" };
    default:
      return { command: command.command };
  }
}

/**
 * `mgr top`: the status table, redrawn every {@linkcode TOP_INTERVAL_MS} with the requests per second
 * since the previous frame, until interrupted (Ctrl-C) or the master is gone.
 */
async function runTop(session: ControlSession, first: StatusReport, options: ControlOptions): Promise<number> {
  const interval = options.topIntervalMs ?? TOP_INTERVAL_MS;
  const tty = options.stdoutIsTTY ?? process.stdout.isTTY === true;
  let interrupted = false;
  let wake = () => {};
  const onSignal = () => {
    interrupted = true;
    wake();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    let previous: StatusReport | undefined;
    let status = first;
    for (let frame = 1; ; frame++) {
      const rate = previous?.counters && status.counters && status.now > previous.now
        ? ((status.counters.requests - previous.counters.requests) * 1000) / (status.now - previous.now)
        : undefined;
      // Home and clear-to-end rather than a full clear: the screen does not flicker.
      const text = formatStatus(status) + formatTopTotals(status, rate);
      options.stdout(tty ? `\x1b[H${text.replaceAll("\n", "\x1b[K\n")}\x1b[J` : `${text}\n`);
      if (interrupted || (options.topFrames !== undefined && frame >= options.topFrames)) return EXIT_OK;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, interval);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (interrupted) return EXIT_OK;
      const reply = await session.ask({ command: "status" });
      if (!reply.ok) {
        options.stderr(`mgr: error: the master refused: ${reply.error.split("\n")[0]}\n`);
        return EXIT_FAILURE;
      }
      previous = status;
      status = reply.status!;
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** The line under `mgr top`'s table: requests, their rate, restarts, recycles. */
export function formatTopTotals(status: StatusReport, requestsPerSecond: number | undefined): string {
  const c = status.counters;
  if (!c) return "";
  const sum = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);
  const rate = requestsPerSecond === undefined ? "-" : requestsPerSecond.toFixed(1);
  return `requests ${c.requests} (${rate}/s), restarts ${sum(c.restarts)}${c.oomKills ? ` (${c.oomKills} OOM)` : ""}, ` +
    `recycles ${sum(c.recycles)}, reloads ${c.reloads.complete}; Ctrl-C to quit\n`;
}

/** Formats a status report as a table, one row per worker. */
export function formatStatus(status: StatusReport): string {
  const header = ["SLOT", "PID", "STATE", "AGE", "SERVED", "IN-FLIGHT", "RSS", "RESTARTS", "LAST EXIT"];
  const rows = status.pool.map((w) => [
    w.slot === undefined ? "-" : String(w.slot),
    String(w.pid),
    w.spare ? "spare" : w.retiring && w.state === "ready" ? "retiring" : w.state,
    formatDuration(status.now - w.spawnedAt),
    String(w.served),
    String(w.inFlight),
    w.rss > 0 ? `${(w.rss / 1024 / 1024).toFixed(1)} MB` : "-",
    String(w.restarts),
    w.lastExit ?? "-",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  return [
    `master ${status.pid} (${status.runtime}), up ${formatDuration(status.now - status.startedAt)}, ` +
    `${status.workers} worker${status.workers === 1 ? "" : "s"} wanted` + (status.ready === undefined ? "" : `, ${status.ready} ready`),
    line(header),
    ...rows.map(line),
  ].join("\n") + "\n";
}

/** `3h 2m`, `5m 3s`, `42s`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}
