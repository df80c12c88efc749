/**
 * The master's control socket: a unix socket (mode 0600) that `mgr status`, `mgr reload`, `mgr scale`
 * and `mgr stop` talk to, one JSON object per line each way.
 *
 * @module
 */

import { chmodSync, existsSync, mkdirSync, unlinkSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type Config, formatAddress } from "../core/config.ts";
import type { Logger } from "../core/logger.ts";
import type { StatusReport, Supervisor } from "../core/supervisor.ts";

/** A request to the master. */
export type ControlRequest =
  | { command: "status" }
  | { command: "reload" }
  | { command: "scale"; workers: number }
  | { command: "stop"; quick: boolean };

/** The master's answer. */
export type ControlReply = { ok: true; status?: StatusReport } | { ok: false; error: string };

/**
 * Where the control socket of the master described by `config` lives: next to its pidfile
 * (`app.pid` → `app.sock`), else in `$XDG_RUNTIME_DIR/mgr/` or `/tmp/mgr-UID/`, named after
 * `--name` or the first address, so `mgr status` given the same flags finds the same master.
 */
export function controlSocketPath(config: Config, env: Record<string, string | undefined>): string {
  if (config.pidfile) return config.pidfile.replace(/\.pid$/, "") + ".sock";
  const uid = typeof process.getuid === "function" ? process.getuid() : "user";
  const directory = env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "mgr") : join(tmpdir(), `mgr-${uid}`);
  const address = config.bind[0]!;
  const name = config.name ?? formatAddress(address).replace(/[^\w.-]+/g, "_").replace(/^_+/, "");
  return join(directory, `${name}.sock`);
}

/**
 * Listens on `path` and answers requests with `supervisor`. Returns the function that closes the
 * socket, ends every connection (so a waiting `mgr stop` returns) and removes the file.
 *
 * @throws {Error} when another live master already listens on `path`.
 */
export async function startControlServer(path: string, supervisor: Supervisor, log: Logger): Promise<() => Promise<void>> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (existsSync(path)) {
    if (await isListening(path)) throw new Error(`another master is listening on ${path}`);
    unlinkSync(path); // stale, left by a master that was killed
  }
  const connections = new Set<Socket>();
  const server = createServer((socket) => {
    connections.add(socket);
    socket.on("close", () => connections.delete(socket));
    socket.on("error", () => {});
    let buffer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        socket.write(`${JSON.stringify(answer(line, supervisor, log))}\n`);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  log.debug(`Control socket: ${path}`);
  return async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of connections) socket.end();
    });
    try {
      unlinkSync(path);
    } catch {
      // Already removed.
    }
  };
}

function answer(line: string, supervisor: Supervisor, log: Logger): ControlReply {
  let request: ControlRequest;
  try {
    request = JSON.parse(line) as ControlRequest;
  } catch {
    return { ok: false, error: "not a JSON request" };
  }
  switch (request.command) {
    case "status":
      return { ok: true, status: supervisor.status() };
    case "reload":
      log.info("Reload requested over the control socket");
      supervisor.reload();
      return { ok: true };
    case "scale":
      if (!Number.isInteger(request.workers) || request.workers < 1) {
        return { ok: false, error: `workers must be an integer >= 1, got ${JSON.stringify(request.workers)}` };
      }
      log.info(`Scale to ${request.workers} requested over the control socket`);
      supervisor.scale(request.workers);
      return { ok: true };
    case "stop":
      log.info(`${request.quick ? "Quick stop" : "Stop"} requested over the control socket`);
      void supervisor.stop({ graceful: !request.quick });
      return { ok: true };
    default:
      return { ok: false, error: `unknown command ${JSON.stringify((request as { command?: unknown }).command)}` };
  }
}

/** True when a server accepts connections on the unix socket at `path`. */
export function isListening(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
