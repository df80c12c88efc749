/**
 * `mgr status | reload | scale N | stop [--quick]`: talk to a running master over its control socket.
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
import { controlSocketLocation } from "./control-socket.ts";
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
}

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
  let session: ControlSession | undefined;
  try {
    session = await ControlSession.open(location, { timeoutMs: options.timeoutMs });
    const reply = await session.ask(request);
    if (!reply.ok) {
      options.stderr(`mgr: error: the master refused: ${reply.error.split("\n")[0]}\n`);
      return EXIT_FAILURE;
    }
    switch (request.command) {
      case "status":
        options.stdout(formatStatus(reply.status!));
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
    default:
      return { command: command.command };
  }
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
    `${status.workers} worker${status.workers === 1 ? "" : "s"} wanted`,
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
