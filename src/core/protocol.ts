/**
 * The messages the master and its workers exchange, one small union each way.
 *
 * Every runtime carries them over its own IPC channel as structured-clone-able objects,
 * so they hold only plain data.
 *
 * @module
 */

/** Where a worker listens: a TCP host and port, a unix socket, or a socket the master inherited. */
export type ListenAddress = TcpAddress | UnixAddress | FdAddress;

/** An address a process binds itself: a TCP host and port, or a unix socket. */
export type SocketAddress = TcpAddress | UnixAddress;

/** A TCP address. */
export interface TcpAddress {
  host: string;
  port: number;
}

/** A unix socket, `unix:/run/app.sock` on the command line. */
export interface UnixAddress {
  path: string;
}

/**
 * A listening socket the master was handed already open, as file descriptor `fd`: by systemd's socket
 * activation (`fd://3` on the command line), or by the old master of a USR2 upgrade. Only Node's
 * workers can serve one (see the adapters).
 */
export interface FdAddress {
  fd: number;
  /** The address the socket listens on, when known (`127.0.0.1:8000`), for the log. */
  name?: string;
}

/** True when `address` is an inherited socket. */
export function isFdAddress(address: ListenAddress): address is FdAddress {
  return "fd" in address;
}

/** True when `address` is a TCP host and port. */
export function isTcpAddress(address: ListenAddress): address is TcpAddress {
  return "port" in address;
}

/** True when `address` is a unix socket. */
export function isUnixAddress(address: ListenAddress): address is UnixAddress {
  return "path" in address;
}

/** What a worker needs to know to boot, handed to it when it is spawned. */
export interface WorkerSpec {
  /** The supervisor's id for this worker: 1, 2, 3… in spawn order, never reused. */
  id: number;
  /** The app to import: an absolute `path/to/module.ts`, optionally with `:exportName`. */
  app: string;
  bind: ListenAddress[];
  backlog: number;
  /** How long an idle keep-alive connection stays open, in milliseconds. */
  keepaliveMs: number;
  /** The limits and timeouts every request meets, the same on every runtime. */
  edge: HttpEdge;
  /** How often the worker proves its event loop is alive, in milliseconds. */
  heartbeatMs: number;
  /** How this worker runs; see {@linkcode WorkerMode}. */
  mode: WorkerMode;
  /** Ask to be retired after this many requests; 0 means never. Jitter is already applied. */
  maxRequests: number;
  /** Ask to be retired once the process's resident memory passes this many bytes; 0 or absent: never. */
  maxRssBytes?: number;
  logLevel: LogLevel;
  logFormat: "text" | "json";
  /** The error log: a path, or `-` for standard error. */
  errorLog: string;
  /** The access log: a path, `-` for standard output, or null for none. */
  accessLog: string | null;
  accessLogFormat: string;
  /** The name for the process title, or null. */
  name: string | null;
  /** The config file whose worker-side hooks (postFork, postWorkerInit, workerExit) run in the worker. */
  configFile: string | null;
  /**
   * The user and group the worker runs as (names or ids, resolved where it is spawned), or null for
   * the master's; set on the spawned process, never changed in it.
   */
  user?: string | null;
  group?: string | null;
}

/**
 * The HTTP edge: the limits and timeouts a worker enforces on every request, whatever its runtime.
 * Sizes are in bytes and durations in milliseconds; 0 means unlimited (or off).
 */
export interface HttpEdge {
  /** Longest request line, else 414. */
  limitRequestLine: number;
  /** Most header fields, else 431. */
  limitRequestFields: number;
  /** Longest header field (name, colon, value), else 431. */
  limitRequestFieldSize: number;
  /** Largest request body, else 413 before it is read. */
  limitRequestBody: number;
  /** Time to receive a complete request head, else the connection is closed (408 where the runtime allows). */
  headersTimeoutMs: number;
  /** Time a request body may stall while the app reads it. */
  bodyTimeoutMs: number;
  /** Time the app has to respond, else 503. */
  requestTimeoutMs: number;
  /** Peers whose forwarded headers are believed: addresses, CIDR ranges, or `*`. */
  forwardedAllowIps: string[];
  /** Most connections the worker holds at once; 0 or absent: no limit. */
  maxConnections?: number;
  /** The largest WebSocket message, in bytes. */
  wsMaxSize: number;
  /** How long a WebSocket may be idle before it is pinged; 0: never. */
  wsPingIntervalMs: number;
  /** How long a ping may go unanswered before the socket is closed. */
  wsPingTimeoutMs: number;
}

/**
 * `serve`: boot and listen. `standby`: boot as a spare (import the app, run setup), then wait for a
 * `serve` message before listening, so the master can put it to work the moment another worker has to
 * go. `check`: import the app, report, and exit (for `mgr check`; setup does not run).
 */
export type WorkerMode = "serve" | "standby" | "check";

/** Log levels, most verbose first, with Gunicorn's names. */
export type LogLevel = "debug" | "info" | "warning" | "error" | "critical";

/** Why a worker could not boot. `app-load` halts the master with exit code 4. */
export type BootErrorKind = "app-load" | "bind";

/**
 * What a booting worker is doing: running its config's worker hooks, importing the app, running the
 * app's `setup()`, or starting to listen.
 */
export type BootStep = "hooks" | "import" | "setup" | "listen";

/** Worker → master. */
export type FromWorker =
  /** The worker has started a step of its boot; the master names it if the worker misses its boot deadline. */
  | { type: "booting"; step: BootStep }
  /** The app module was imported and its `setup()` finished; a spare now waits for `serve`. */
  | { type: "booted" }
  /** The worker is listening and serving. */
  | { type: "ready" }
  /**
   * The worker's event loop is alive; sent every `heartbeatMs`. `loopDelayMs`: how late the heartbeat's
   * own timer fired. `latency`: request durations since the previous heartbeat, as counts per bucket
   * of latency-histogram.ts. `requests`: present when any is in flight.
   */
  | {
    type: "heartbeat";
    served: number;
    inFlight: number;
    rss: number;
    loopDelayMs?: number;
    latency?: number[];
    /** The requests in flight (the oldest few), named so a hung worker's log can say what it served. */
    requests?: { method: string; path: string; ageMs: number }[];
  }
  /** Asks for a `pong`: once it arrives, every message the master sent before it has been received. */
  | { type: "ping"; seq: number }
  /**
   * The worker asks to be replaced: it served `maxRequests` (`reason` absent or `max-requests`), or its
   * resident memory `rss` passed `maxRssBytes` (`max-rss`).
   */
  | { type: "retire"; served: number; reason?: RetireReason; rss?: number }
  /** The worker cannot boot; it exits right after sending this. */
  | { type: "boot-error"; kind: BootErrorKind; message: string; stack?: string };

/** Why a worker asks to be replaced. */
export type RetireReason = "max-requests" | "max-rss";

/** Master → worker. */
export type ToWorker =
  /** Start listening (a spare, booted with `standby`). */
  | { type: "serve" }
  /**
   * Stop accepting, finish in-flight requests, close keep-alive connections, run teardown, exit.
   * `graceMs`: how long the master waits before it kills the worker; the worker closes its WebSockets
   * just before.
   */
  | { type: "drain"; graceMs?: number }
  /** Exit now. */
  | { type: "stop" }
  /** Reopen log files (after SIGUSR1: a log rotation moved them). */
  | { type: "reopen-logs" }
  /** The answer to a `ping`. */
  | { type: "pong"; seq: number };

/** Exit code a worker uses when the app failed to import or its `setup()` threw (Gunicorn's APP_LOAD_ERROR). */
export const WORKER_EXIT_APP_LOAD = 4;
/** Exit code a worker uses for any other failure to boot, such as a failed listen (Gunicorn's WORKER_BOOT_ERROR). */
export const WORKER_EXIT_BOOT = 3;

/** Checks that an unknown IPC payload is a message from a worker, so a stray `process.send` in an app is ignored. */
export function isFromWorker(value: unknown): value is FromWorker {
  if (typeof value !== "object" || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === "booting" || type === "booted" || type === "ready" || type === "heartbeat" || type === "ping" || type === "retire" ||
    type === "boot-error";
}

/** Checks that an unknown IPC payload is a message from the master. */
export function isToWorker(value: unknown): value is ToWorker {
  if (typeof value !== "object" || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === "serve" || type === "drain" || type === "stop" || type === "reopen-logs" || type === "pong";
}
