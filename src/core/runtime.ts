/**
 * What the supervisor needs from a runtime, and nothing more. Each adapter implements it with that
 * runtime's own way to spawn a process and carry messages; the core sees only this shape.
 *
 * @module
 */

import type { Clock } from "./clock.ts";
import type { FromWorker, ListenAddress, SocketAddress, TcpAddress, ToWorker, WorkerSpec } from "./protocol.ts";

/** The runtimes mgr runs on. */
export type RuntimeName = "node" | "bun" | "deno";

/**
 * Signals the master listens for: the ones it acts on, and ones an operator may send whose default
 * action would end the master (USR2, PIPE) or that Gunicorn gives a meaning (WINCH), so it can log
 * them instead of dying.
 */
export type Signal =
  | "SIGTERM"
  | "SIGINT"
  | "SIGQUIT"
  | "SIGHUP"
  | "SIGTTIN"
  | "SIGTTOU"
  | "SIGUSR1"
  | "SIGUSR2"
  | "SIGWINCH"
  | "SIGPIPE";

/** Signals the master sends to a worker process. */
export type KillSignal = "SIGTERM" | "SIGKILL" | "SIGINT";

/** The master's side of one runtime. */
export interface Runtime {
  name: RuntimeName;
  /** The runtime's own version, e.g. `20.20.2` for Node, `1.4.5` for Bun. */
  version: string;
  /** The master's process id. */
  pid: number;
  clock: Clock;
  /** Starts a worker process that will load the app described by `spec`. */
  spawnWorker(spec: WorkerSpec): WorkerHandle;
  /** Calls `fn` each time the master receives `signal`; returns a function that stops listening. */
  onSignal(signal: Signal, fn: () => void): () => void;
  /**
   * Resolves if `address` can be listened on, rejects with an error naming the address if not, so the
   * master refuses to start instead of booting workers that cannot bind.
   */
  checkListen(address: ListenAddress): Promise<void>;
  cpuCount(): number;
  /**
   * True when workers can share a unix socket. Node's can (the master owns the socket); Bun's and
   * Deno's cannot, since each worker owns its listener and SO_REUSEPORT does not apply to unix sockets.
   */
  unixSockets: boolean;
  /**
   * The descriptor of the master's listening socket for `address`, to hand to a new master at a USR2
   * upgrade. Present where workers can serve a socket they inherit (`fd://`, socket activation): Node,
   * whose cluster master owns the sockets. Absent on Bun and Deno, whose workers listen themselves.
   */
  listeningFd?(address: TcpAddress): number | undefined;
  /**
   * Takes a descriptor of the master's own of the listening socket `fd` (from {@linkcode listeningFd})
   * for `address`, and has every worker spawned from then on serve it: at a USR2 upgrade, so that the
   * socket outlives a pool emptied by WINCH and workers brought back by HUP share it with the new
   * master. Resolves with that descriptor. Present with `listeningFd`.
   */
  holdListeningSocket?(fd: number, address: TcpAddress): Promise<number>;
  /** Imports a module by URL, with whatever the runtime needs to read TypeScript (the config file). */
  importModule(url: string): Promise<unknown>;
  /** Sets the process title shown by `ps`, where the runtime can. */
  setProcessTitle?(title: string): void;
  /**
   * Prepares the machine for this runtime's workers before any is spawned, and says what it did or
   * what the operator should do, e.g. about `net.ipv4.tcp_migrate_req` where workers share a port
   * with SO_REUSEPORT. Each note is logged at its level.
   */
  preflight?(): Promise<PreflightNote[]>;
  /**
   * Sends one sd_notify message (`READY=1`, `STATUS=…`, lines joined by `\n`) to the service manager's
   * datagram socket `socket`, the value of `$NOTIFY_SOCKET`: a path, or an abstract name written `@name`.
   * Resolves once it is sent; rejects with the reason when it cannot be. Absent where the runtime has
   * no way to send one.
   */
  notify?(socket: string, message: string): Promise<void>;
  /** CLOCK_MONOTONIC in microseconds, the clock sd_notify's `MONOTONIC_USEC` is read from. */
  monotonicMicros?(): bigint;
  /**
   * Serves `fetch` from the master itself at `address` (TCP or a unix socket), for the admin endpoint:
   * it must answer while every worker is busy or gone. Resolves once listening; rejects with an error
   * naming the address when it cannot listen. Absent where the runtime has no server for the master.
   */
  serveHttp?(address: SocketAddress, fetch: MasterFetch): Promise<MasterHttpServer>;
  /** The operating system, as Node names it: `linux`, `darwin`, `win32`, `freebsd`… */
  os?: string;
  /**
   * Watches `paths` (files, or directories with everything under them but what `options.ignore`
   * refuses) and calls `options.onChange` with the paths that changed, as the runtime reports them
   * (one save may come as several calls). Returns a function that stops watching. Absent where the
   * runtime cannot watch files.
   */
  watchFiles?(paths: readonly string[], options: WatchFilesOptions): () => void;
  /**
   * Finds where the JavaScript of the worker `pid` is executing, for the log before a hung worker is
   * killed, and the requests in flight on it. Resolves with what could be found, or rejects with why
   * not; whatever it opens to find out is loopback-only and closed before it settles. The caller
   * bounds the wait: the worker is killed at the deadline whether this has settled or not.
   */
  captureWorkerStack?(pid: number, deadlineMs: number): Promise<WorkerStackCapture>;
}

/** Options of {@linkcode Runtime.watchFiles}. */
export interface WatchFilesOptions {
  /** True for an absolute path not to watch (nor look under, for a directory). */
  ignore(path: string): boolean;
  onChange(changed: string[]): void;
  /** A directory that could not be watched, or a watcher that failed; watching goes on without it. */
  onError?(message: string): void;
}

/** Where a hung worker was, as {@linkcode Runtime.captureWorkerStack} found it. */
export interface WorkerStackCapture {
  /** Innermost first. */
  frames: StackFrame[];
  /** The requests in flight on the worker, read from it while it was paused; absent when unread. */
  inFlight?: InFlightRequest[];
}

/** One frame of a captured stack. */
export interface StackFrame {
  /** The function's name, empty for an anonymous one. */
  functionName: string;
  /** The script's URL or path. */
  url: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/** A request a worker was serving. */
export interface InFlightRequest {
  method: string;
  /** The path and query. */
  path: string;
  /** How long it had been in flight when it was read, in milliseconds. */
  ageMs: number;
}

/** A fetch handler the master serves itself. */
export type MasterFetch = (request: Request) => Response | Promise<Response>;

/** A server the master runs itself. */
export interface MasterHttpServer {
  /** The TCP port it listens on (the one chosen, for port 0); undefined on a unix socket. */
  port?: number;
  /** Stops listening and closes its connections. */
  close(): Promise<void>;
}

/** Something the master should tell the operator at start. */
export interface PreflightNote {
  level: "info" | "warning";
  message: string;
}

/** The master's handle on one worker process. */
export interface WorkerHandle {
  pid: number;
  /** Sends a message; a worker that is already gone is silently skipped. */
  send(message: ToWorker): void;
  /** Calls `fn` for every protocol message the worker sends. */
  onMessage(fn: (message: FromWorker) => void): void;
  /** Calls `fn` once when the process has exited: its exit code, or the signal that ended it. */
  onExit(fn: (code: number | null, signal: string | null) => void): void;
  kill(signal: KillSignal): void;
}
