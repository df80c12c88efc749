/**
 * The master's control socket: a unix socket (mode 0600) that `mgr status`, `mgr reload`, `mgr scale`
 * and `mgr stop` talk to, one JSON object per line each way (see control-request.ts).
 *
 * Whatever a client sends, the master answers one line of JSON or closes the connection: requests
 * are parsed, never trusted; a line is at most {@linkcode MAX_CONTROL_LINE_BYTES}; at most
 * {@linkcode MAX_CONTROL_CONNECTIONS} connections are served at once; a connection that sends no
 * request for {@linkcode CONTROL_IDLE_TIMEOUT_MS} is closed.
 *
 * @module
 */

import { chmodSync, lstatSync, unlinkSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type Config, formatAddress } from "../core/config.ts";
import type { Logger } from "../core/logger.ts";
import type { Supervisor } from "../core/supervisor.ts";
import { MAX_UNIX_SOCKET_PATH_BYTES, unixSocketPathOverLimit } from "../core/unix-socket-path.ts";
import { checkChosenDirectory, currentUid, ensurePrivateDirectory, UnsafePathError } from "../runtime/private-directory.ts";
import { type ControlReply, type ControlRequest, parseControlRequest } from "./control-request.ts";

export type { ControlReply, ControlRequest } from "./control-request.ts";

/** What the control socket's name adds to the pidfile's: `app.pid` → `app.mgr-control.sock`. */
export const CONTROL_SOCKET_SUFFIX = ".mgr-control.sock";
/** The longest request line, in bytes; a longer one gets an error and the connection is closed. */
export const MAX_CONTROL_LINE_BYTES = 64 * 1024;
/** Connections served at once; one more gets an error and is closed. */
export const MAX_CONTROL_CONNECTIONS = 16;
/** How long a connection may stay open without sending a request, in milliseconds. */
export const CONTROL_IDLE_TIMEOUT_MS = 10_000;
/** Replies a client has not read yet, in bytes, before the master gives up on it. */
const MAX_UNREAD_REPLY_BYTES = 1024 * 1024;
/** How long a connection being closed may take to read its last line, in milliseconds. */
const CLOSE_GRACE_MS = 1_000;

/** Where a master's control socket is, and which rule its directory is held to. */
export interface ControlSocketLocation {
  path: string;
  /**
   * True for mgr's own directory (`/tmp/mgr-UID`, `$XDG_RUNTIME_DIR/mgr`): made by the master, held
   * to the strict rule. False for a directory the user chose (the pidfile's, or `--control`'s).
   */
  privateDirectory: boolean;
}

/**
 * Where the control socket of the master described by `config` lives: next to its pidfile
 * (`app.pid` → `app.mgr-control.sock`, a name no app binds by habit), else in `$XDG_RUNTIME_DIR/mgr/`
 * or `$TMPDIR/mgr-UID/`, named after `--name` or the first address, so `mgr status` given the same
 * flags finds the same master.
 */
export function controlSocketLocation(config: Config, env: Record<string, string | undefined>): ControlSocketLocation {
  if (config.pidfile) {
    return { path: config.pidfile.replace(/\.pid$/, "") + CONTROL_SOCKET_SUFFIX, privateDirectory: false };
  }
  const uid = currentUid() ?? "user";
  const directory = env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "mgr") : join(tmpdir(), `mgr-${uid}`);
  const address = config.bind[0]!;
  const name = config.name ?? formatAddress(address).replace(/[^\w.-]+/g, "_").replace(/^_+/, "");
  return { path: join(directory, `${name}.sock`), privateDirectory: true };
}

/**
 * Why no control socket can be at `location`, in one line with the way out, or undefined when one can:
 * a path too long for a unix socket, which Node would bind cut short (see unix-socket-path.ts).
 */
export function controlSocketPathProblem(location: ControlSocketLocation): string | undefined {
  const bytes = unixSocketPathOverLimit(location.path);
  if (bytes === undefined) return undefined;
  // A socket beside the pidfile is named after it; one in mgr's own directory after --name or the address.
  const fix = location.privateDirectory ? "give the master a shorter --name" : "put the pidfile (--pid) in a shorter directory";
  return `the control socket path ${location.path} is ${bytes} bytes, over the ${MAX_UNIX_SOCKET_PATH_BYTES} a unix socket's path may have: ${fix}`;
}

/** What the control socket drives: the supervisor's public methods. */
export type ControlTarget = Pick<Supervisor, "status" | "reload" | "scale" | "stop">;

/** Options of {@linkcode startControlServer}; the defaults are the constants above. */
export interface ControlServerOptions {
  maxLineBytes?: number;
  maxConnections?: number;
  idleTimeoutMs?: number;
}

/** A listening control socket. */
export interface ControlServer {
  /** Closes the socket, ends every connection (so a waiting `mgr stop` returns) and removes the file. */
  close(): Promise<void>;
  /**
   * Listens at `path` instead (a USR2 upgrade moves the old master's socket aside for the new one's);
   * connections already open stay. `whileClosed` runs once the old listener is closed and before the
   * new one opens: a process spawned then inherits neither, which matters on Deno, whose `node:net`
   * leaves a unix listener without close-on-exec.
   */
  moveTo(path: string, whileClosed?: () => void): Promise<void>;
}

/**
 * Checks the socket's path and directory (making mgr's own one), then listens at `location` and answers
 * requests with `target`. Resolves with the {@linkcode ControlServer}.
 *
 * @throws {UnsafePathError} when the directory, or a file already at the path, could be another user's.
 * @throws {Error} when the path is too long for a unix socket, or another live master already listens there.
 */
export async function startControlServer(
  location: ControlSocketLocation,
  target: ControlTarget,
  log: Logger,
  options: ControlServerOptions = {},
): Promise<ControlServer> {
  const { path } = location;
  const tooLong = controlSocketPathProblem(location);
  if (tooLong) throw new Error(tooLong);
  const limits = {
    maxLineBytes: options.maxLineBytes ?? MAX_CONTROL_LINE_BYTES,
    maxConnections: options.maxConnections ?? MAX_CONTROL_CONNECTIONS,
    idleTimeoutMs: options.idleTimeoutMs ?? CONTROL_IDLE_TIMEOUT_MS,
  };
  if (location.privateDirectory) ensurePrivateDirectory(dirname(path));
  else checkChosenDirectory(dirname(path));
  await removeStaleSocket(path);

  const connections = new Set<Socket>();
  const onConnection = (socket: Socket) => {
    socket.on("error", () => {});
    if (connections.size >= limits.maxConnections) {
      closeWith(socket, { ok: false, error: `too many control connections (at most ${limits.maxConnections}); try again` });
      return;
    }
    connections.add(socket);
    socket.once("close", () => connections.delete(socket));
    serveConnection(socket, target, log, limits);
  };
  let current = await listenAt(path, onConnection, log);
  const stopListening = async ({ server, inode, path }: Listening) => {
    // The runtime removes the file it bound when the server closes: before that, make sure it is ours.
    let ours = false;
    try {
      ours = lstatSync(path).ino === inode;
    } catch {
      // Already removed.
    }
    if (!ours) server.unref(); // a newer master's socket is at this path now: leave it be
    await new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      if (ours && lstatSync(path).ino === inode) unlinkSync(path);
    } catch {
      // Removed on close.
    }
  };
  return {
    async close() {
      const stopped = stopListening(current);
      for (const socket of connections) closeSoon(socket);
      await stopped;
    },
    async moveTo(to, whileClosed) {
      // Not a rename: closing would then remove the old name, by then another master's socket.
      await removeStaleSocket(to);
      await stopListening(current);
      whileClosed?.();
      current = await listenAt(to, onConnection, log);
    },
  };
}

interface Listening {
  server: Server;
  path: string;
  inode: number;
}

/** Listens at `path`, created 0600, and serves each connection with `onConnection`. */
async function listenAt(path: string, onConnection: (socket: Socket) => void, log: Logger): Promise<Listening> {
  // Also for a move (`PIDFILE.oldbin` names a longer path), which the check at start does not cover.
  const tooLong = controlSocketPathProblem({ path, privateDirectory: false });
  if (tooLong) throw new Error(tooLong);
  const server = createServer(onConnection);
  // Created 0600 from the start: in a directory others can enter, no window where they may connect.
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } finally {
    process.umask(umask);
  }
  server.on("error", (error) => log.warning(`Control socket: ${(error as Error).message}`));
  chmodSync(path, 0o600);
  log.debug(`Control socket: ${path}`);
  return { server, path, inode: lstatSync(path).ino };
}

/** Reads request lines from `socket` and answers each; closes it on a line too long or when idle. */
function serveConnection(socket: Socket, target: ControlTarget, log: Logger, limits: Required<ControlServerOptions>): void {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let pending: Buffer = Buffer.alloc(0);
  let closing = false;
  let warned = false;
  let stopRequested = false;
  let idle: ReturnType<typeof setTimeout> | undefined;
  const close = (reply: ControlReply) => {
    closing = true;
    clearTimeout(idle);
    closeWith(socket, reply);
  };
  const armIdleTimer = () => {
    clearTimeout(idle);
    idle = setTimeout(() => close({ ok: false, error: `no request for ${limits.idleTimeoutMs} ms; closing` }), limits.idleTimeoutMs);
  };
  socket.once("close", () => clearTimeout(idle));
  armIdleTimer();

  const send = (reply: ControlReply) => {
    socket.write(`${JSON.stringify(reply)}\n`);
    // A client that asks without reading would grow the master's memory without bound.
    if (socket.writableLength > MAX_UNREAD_REPLY_BYTES) socket.destroy();
  };
  const respond = (bytes: Buffer) => {
    let line: string | undefined;
    try {
      line = decoder.decode(bytes);
    } catch {
      line = undefined;
    }
    const request = line === undefined ? "a request is UTF-8 text" : parseControlRequest(line);
    if (typeof request === "string") {
      // Once per connection: a client looping on bad requests must not flood the log.
      if (!warned) log.warning(`Refused a control request: ${request}`);
      warned = true;
      send({ ok: false, error: request });
      return;
    }
    send(answer(request, target, log));
    // After a stop the client waits for the master to exit, which ends this connection: no idle limit.
    if (request.command === "stop") stopRequested = true;
    if (stopRequested) clearTimeout(idle);
    else armIdleTimer();
  };
  const tooLong = () => close({ ok: false, error: `a request line is at most ${limits.maxLineBytes} bytes; closing` });

  socket.on("data", (chunk: Buffer) => {
    if (closing) return;
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (!closing) {
      const newline = pending.indexOf(0x0a);
      if (newline < 0) break;
      if (newline > limits.maxLineBytes) return tooLong();
      const line = pending.subarray(0, newline);
      pending = pending.subarray(newline + 1);
      respond(line);
    }
    if (!closing && pending.length > limits.maxLineBytes) tooLong();
  });
}

function answer(request: ControlRequest, target: ControlTarget, log: Logger): ControlReply {
  try {
    switch (request.command) {
      case "status":
        return { ok: true, status: target.status() };
      case "reload":
        log.info("Reload requested over the control socket");
        target.reload();
        return { ok: true };
      case "scale":
        log.info(`Scale to ${request.workers} requested over the control socket`);
        target.scale(request.workers);
        return { ok: true };
      case "stop":
        log.info(`${request.quick ? "Quick stop" : "Stop"} requested over the control socket`);
        target.stop({ graceful: !request.quick }).catch((error: unknown) => {
          log.error(`Stop requested over the control socket failed: ${(error as Error).message}`);
        });
        return { ok: true };
    }
  } catch (error) {
    log.error(`Control request ${request.command} failed: ${(error as Error).message}`);
    return { ok: false, error: `${request.command} failed: ${(error as Error).message}` };
  }
}

/** Sends `reply` as the last line, then closes; a client that does not read it is cut off soon after. */
function closeWith(socket: Socket, reply: ControlReply): void {
  socket.write(`${JSON.stringify(reply)}\n`);
  closeSoon(socket);
}

function closeSoon(socket: Socket): void {
  // Read (and drop) what the client still sends, so its end arrives and the close completes.
  socket.resume();
  socket.end();
  const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
  socket.once("close", () => clearTimeout(timer));
}

/**
 * Makes way for the socket at `path`: removes one left by a master that was killed, refuses anything
 * that is not our own dead socket.
 */
async function removeStaleSocket(path: string): Promise<void> {
  let stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new UnsafePathError(path, `cannot be read (${(error as NodeJS.ErrnoException).code})`);
  }
  if (!stats.isSocket()) throw new UnsafePathError(path, "exists and is not a socket; remove it");
  const uid = currentUid();
  if (uid !== undefined && stats.uid !== uid) throw new UnsafePathError(path, `exists and belongs to uid ${stats.uid}; remove it`);
  if (await isListening(path)) throw new Error(`another master is listening on ${path}`);
  unlinkSync(path); // stale, left by a master that was killed
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
