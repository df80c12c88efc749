/**
 * `mgr status | reload | scale N | stop [--quick]`: talk to a running master over its control socket.
 *
 * @module
 */

import { connect } from "node:net";
import { EXIT_FAILURE, EXIT_OK } from "../core/exit-codes.ts";
import type { StatusReport } from "../core/supervisor.ts";
import type { Runtime } from "../core/runtime.ts";
import type { CliCommand, ControlCommand } from "./args.ts";
import { type ControlReply, type ControlRequest, controlSocketPath } from "./control-socket.ts";
import type { ConfigLoader, MainOptions } from "./main.ts";
import { UsageError } from "./usage-error.ts";

type ControlCli = Extract<CliCommand, { command: ControlCommand }>;

/** How long `mgr` waits for the master to answer, in milliseconds. */
export const CONTROL_TIMEOUT_MS = 5_000;

/** Options of {@linkcode runControlCommand}. */
export interface ControlOptions extends MainOptions {
  runtime: Runtime;
  loadConfig: ConfigLoader;
}

/** Sends `command` to the master the flags and config point at, prints the answer, returns the exit code. */
export async function runControlCommand(command: ControlCli, options: ControlOptions): Promise<number> {
  const { config } = await options.loadConfig(0);
  const path = command.controlPath ?? controlSocketPath(config, options.env);
  const request = toRequest(command);
  let session: ControlSession;
  try {
    session = await ControlSession.open(path);
  } catch {
    options.stderr(
      `mgr: error: no master answers on ${path}; is it running? Name it the way it was started ` +
        `(--pid, --bind, --name, -c) or give --control PATH\n`,
    );
    return EXIT_FAILURE;
  }
  try {
    const reply = await session.ask(request);
    if (!reply.ok) {
      options.stderr(`mgr: error: the master refused: ${reply.error}\n`);
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
  } finally {
    session.close();
  }
}

function toRequest(command: ControlCli): ControlRequest {
  switch (command.command) {
    case "scale": {
      const workers = Number(command.count);
      if (!/^\d+$/.test(command.count ?? "") || workers < 1) {
        throw new UsageError(`scale needs an integer >= 1, got "${command.count}"`);
      }
      return { command: "scale", workers };
    }
    case "stop":
      return { command: "stop", quick: command.quick };
    default:
      return { command: command.command };
  }
}

/** One connection to a master's control socket. */
class ControlSession {
  readonly closed: Promise<void>;
  #buffer = "";
  #waiting: ((reply: ControlReply) => void)[] = [];

  private constructor(private readonly socket: ReturnType<typeof connect>) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.#buffer += chunk;
      let newline: number;
      while ((newline = this.#buffer.indexOf("\n")) >= 0) {
        const line = this.#buffer.slice(0, newline);
        this.#buffer = this.#buffer.slice(newline + 1);
        this.#waiting.shift()?.(JSON.parse(line) as ControlReply);
      }
    });
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => {});
  }

  static open(path: string): Promise<ControlSession> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once("connect", () => resolve(new ControlSession(socket)));
      socket.once("error", reject);
    });
  }

  ask(request: ControlRequest): Promise<ControlReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the master did not answer in time")), CONTROL_TIMEOUT_MS);
      this.#waiting.push((reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.socket.write(`${JSON.stringify(request)}\n`);
      void this.closed.then(() => {
        clearTimeout(timer);
        reject(new Error("the master closed the connection"));
      });
    });
  }

  close(): void {
    this.socket.end();
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
