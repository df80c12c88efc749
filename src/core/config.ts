/**
 * The configuration model: one typed object, its defaults, and validation that names the key,
 * the value received and what is allowed.
 *
 * Durations are in seconds, as in Gunicorn; the supervisor converts them where it uses them.
 *
 * @module
 */

import { isFdAddress, isUnixAddress, type FdAddress, type ListenAddress, type LogLevel, type TcpAddress, type UnixAddress } from "./protocol.ts";
import { type Hooks, validateHooks } from "./hooks.ts";
import { ConfigError } from "./config-error.ts";
import { compileAccessLogFormat } from "./access-log-format.ts";
import { LOG_LEVELS, type LogFormat } from "./logger.ts";
import { MAX_UNIX_SOCKET_PATH_BYTES, unixSocketPathOverLimit } from "./unix-socket-path.ts";

export { ConfigError, formatValue } from "./config-error.ts";

/** Everything the master needs to run. */
export interface Config {
  /** The app module, `path/to/app.ts` or `path/to/app.ts:exportName`. */
  app: string;
  /** How many workers to keep. Default: the number of CPU cores (or `WEB_CONCURRENCY`). */
  workers: number;
  /** Where workers listen. Default: 127.0.0.1:8000 (or 0.0.0.0:$PORT). */
  bind: ListenAddress[];
  /** The listen backlog: connections the kernel queues before they are accepted. */
  backlog: number;
  /** Seconds without a heartbeat before a worker is killed and replaced; 0 disables. */
  timeout: number;
  /** Seconds a draining worker may take to finish its requests before it is killed. */
  gracefulTimeout: number;
  /** Seconds an idle keep-alive connection stays open. */
  keepalive: number;
  /** Requests a worker serves before it is replaced; 0 disables. */
  maxRequests: number;
  /** Up to this many extra requests, chosen at random per worker, so workers do not recycle in step. */
  maxRequestsJitter: number;
  /** Megabytes of resident memory past which a worker is replaced, as max-requests does; 0 disables. */
  maxRss: number;
  /**
   * Where the master serves its admin endpoint (health, status, metrics, dashboard): `HOST:PORT` or
   * `unix:PATH`, as typed; null (the default) for none. Off loopback it requires `adminToken`.
   */
  adminBind: string | null;
  /** The bearer token the admin endpoint asks for; null for none (then only loopback or a unix socket). */
  adminToken: string | null;
  logLevel: LogLevel;
  /** Where the access log goes: a file path, `-` for standard output, or null for none. */
  accessLog: string | null;
  /** The access log line, in Gunicorn's format atoms. */
  accessLogFormat: string;
  /** Where the error log goes: a file path, or `-` for standard error. */
  errorLog: string;
  /** How log lines are written: Gunicorn's text lines, or one JSON object per line. */
  logFormat: LogFormat;
  /** A file to write the master's pid to, or null for none. */
  pidfile: string | null;
  /** A name for the process titles (Gunicorn's proc_name), or null for the default `mgr`. */
  name: string | null;
  /** The user the workers run as (a name or a uid; Gunicorn's user), or null for the master's own. */
  user: string | null;
  /** The group the workers run as (a name or a gid), or null for the user's own group. */
  group: string | null;
  /**
   * The file mode creation mask of the master and its workers (Gunicorn's umask), or null to keep it.
   * A string is read in octal, as `--umask` and umask(1) read it (`"027"`, `"0o027"`); a number is
   * taken as it is, so a JavaScript config writes `0o027`.
   */
  umask: number | null;
  /** The longest request line in bytes, else 414 (Gunicorn's limit_request_line); 0 means unlimited. */
  limitRequestLine: number;
  /** The most header fields in a request, else 431 (Gunicorn's limit_request_fields); 0 means unlimited. */
  limitRequestFields: number;
  /** The longest header field (name, colon and value) in bytes, else 431; 0 means unlimited. */
  limitRequestFieldSize: number;
  /** The largest request body in bytes, else 413, before the body is read; 0 means unlimited. */
  limitRequestBody: number;
  /** Seconds a connection has to send a complete request head, else it is closed (408); 0 disables. */
  headersTimeout: number;
  /** Seconds a request body may stall (no bytes arrive) while the app reads it; 0 disables. */
  bodyTimeout: number;
  /** Seconds the app has to start its response, else the client gets 503; 0 (the default) disables. */
  requestTimeout: number;
  /**
   * Peers whose `X-Forwarded-For`, `X-Forwarded-Proto` and `Forwarded` headers are believed: addresses
   * and CIDR ranges, or `*` for any (Gunicorn's forwarded_allow_ips).
   */
  forwardedAllowIps: string[];
  /**
   * The most connections one worker holds at once (Gunicorn's worker_connections); 0 (the default)
   * means no limit. Past it, a Node worker closes each new connection unanswered and a Deno worker
   * leaves it queued in the kernel until one of its connections closes; Bun has no way to bound it.
   */
  workerConnections: number;
  /** The largest WebSocket message in bytes (Uvicorn's ws_max_size); larger closes the socket with 1009. */
  wsMaxSize: number;
  /** Seconds between pings on an idle WebSocket (Uvicorn's ws_ping_interval); 0 sends none. */
  wsPingInterval: number;
  /** Seconds a WebSocket may leave a ping unanswered before it is closed (Uvicorn's ws_ping_timeout). */
  wsPingTimeout: number;
  /**
   * Gunicorn's preload_app, accepted so a translated config loads: there is no fork with copy-on-write
   * to share an app loaded in the master, so every worker imports the app itself either way.
   */
  preloadApp: boolean;
  /**
   * Development: watch the app's directory tree (and `reloadExtraFiles`, and the config file) and
   * reload, as SIGHUP does, when a file changes.
   */
  reload: boolean;
  /** More files or directories `reload` watches, beyond the app's directory. */
  reloadExtraFiles: string[];
  /** Globs of paths `reload` ignores, beyond `node_modules`, `.git` and dot-directories. */
  reloadIgnore: string[];
  /** Server hooks, from the config file. */
  hooks: Hooks;
}

/** Gunicorn's default access log format. */
export const DEFAULT_ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"';

/**
 * The largest pool mgr runs. A worker is an event loop with its own heap (tens of MB at least), so a
 * pool past this is a typo (`-w 100000`) that would fork until the machine runs out of memory.
 */
export const MAX_WORKERS = 256;
/** Default heartbeat timeout, seconds (Gunicorn's). */
export const DEFAULT_TIMEOUT = 30;
/** Default graceful timeout, seconds (Gunicorn's). */
export const DEFAULT_GRACEFUL_TIMEOUT = 30;
/** Default keep-alive, seconds: longer than Gunicorn's 2 s, since JS workers hold idle connections cheaply. */
export const DEFAULT_KEEPALIVE = 5;
/** Gunicorn's request head limits: the request line, the number of fields, and one field's size. */
export const DEFAULT_LIMIT_REQUEST_LINE = 4094;
export const DEFAULT_LIMIT_REQUEST_FIELDS = 100;
export const DEFAULT_LIMIT_REQUEST_FIELD_SIZE = 8190;
/**
 * Default seconds to receive a request head. Bun closes a connection whose head is not complete after
 * a fixed ~10 s that no option changes, so 10 s is the bound all three runtimes can keep alike.
 */
export const DEFAULT_HEADERS_TIMEOUT = 10;
/**
 * Default seconds a request body may stall: off. Bounding stalls means reading every body through
 * mgr's guard, which made a 512-byte POST on Node ~7x dearer (18 µs to 130 µs, measured), so it is
 * the operator's choice until each runtime can bound stalls at the socket.
 */
export const DEFAULT_BODY_TIMEOUT = 0;
/** Uvicorn's defaults for WebSockets: 16 MiB messages, a ping every 20 s, 20 s for its pong. */
export const DEFAULT_WS_MAX_SIZE = 16 * 1024 * 1024;
export const DEFAULT_WS_PING_INTERVAL = 20;
export const DEFAULT_WS_PING_TIMEOUT = 20;
/** Peers trusted for forwarded headers by default: the local proxy (Gunicorn's default). */
export const DEFAULT_FORWARDED_ALLOW_IPS: readonly string[] = ["127.0.0.1", "::1"];
/** Default listen backlog (Gunicorn's). */
export const DEFAULT_BACKLOG = 2048;
/** Default address, loopback only: exposing a server is a decision, not a default. */
export const DEFAULT_BIND: TcpAddress = { host: "127.0.0.1", port: 8000 };

/** The defaults of every key but `app` and `workers`, which depend on the command line and the machine. */
export const DEFAULTS: Omit<Config, "app" | "workers"> = {
  bind: [DEFAULT_BIND],
  backlog: DEFAULT_BACKLOG,
  timeout: DEFAULT_TIMEOUT,
  gracefulTimeout: DEFAULT_GRACEFUL_TIMEOUT,
  keepalive: DEFAULT_KEEPALIVE,
  maxRequests: 0,
  maxRequestsJitter: 0,
  maxRss: 0,
  adminBind: null,
  adminToken: null,
  logLevel: "info",
  accessLog: null,
  accessLogFormat: DEFAULT_ACCESS_LOG_FORMAT,
  errorLog: "-",
  logFormat: "text",
  pidfile: null,
  name: null,
  user: null,
  group: null,
  umask: null,
  limitRequestLine: DEFAULT_LIMIT_REQUEST_LINE,
  limitRequestFields: DEFAULT_LIMIT_REQUEST_FIELDS,
  limitRequestFieldSize: DEFAULT_LIMIT_REQUEST_FIELD_SIZE,
  limitRequestBody: 0,
  headersTimeout: DEFAULT_HEADERS_TIMEOUT,
  bodyTimeout: DEFAULT_BODY_TIMEOUT,
  requestTimeout: 0,
  forwardedAllowIps: [...DEFAULT_FORWARDED_ALLOW_IPS],
  workerConnections: 0,
  wsMaxSize: DEFAULT_WS_MAX_SIZE,
  wsPingInterval: DEFAULT_WS_PING_INTERVAL,
  wsPingTimeout: DEFAULT_WS_PING_TIMEOUT,
  preloadApp: false,
  reload: false,
  reloadExtraFiles: [],
  reloadIgnore: [],
  hooks: {},
};

/**
 * Checks one value for `key`, converting strings from flags or the environment.
 *
 * @throws {ConfigError} when the value is not allowed.
 */
export function validateValue<K extends keyof Config>(key: K, value: unknown): Config[K] {
  const check = CHECKS[key];
  return check(key, value) as Config[K];
}

type Check = (key: string, value: unknown) => unknown;

const CHECKS: { [K in keyof Config]: Check } = {
  app: (key, value) => {
    if (typeof value !== "string" || value.trim() === "") {
      throw new ConfigError(key, value, "a module path such as `app.ts` or `app.ts:name`");
    }
    return value;
  },
  workers: integer(1, MAX_WORKERS),
  bind: (key, value) => {
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0) throw new ConfigError(key, value, "at least one HOST:PORT");
    return list.map((item) => typeof item === "string" ? parseBind(item, key) : checkListenAddress(key, item));
  },
  backlog: integer(1),
  timeout: seconds(),
  gracefulTimeout: seconds(),
  keepalive: seconds(),
  maxRequests: integer(0),
  maxRequestsJitter: integer(0),
  maxRss: integer(0),
  adminBind: (key, value) => {
    if (value === null) return null;
    if (typeof value !== "string") throw new ConfigError(key, value, "HOST:PORT or unix:PATH");
    parseBind(value, key);
    return value;
  },
  adminToken: (key, value) => {
    if (value === null) return null;
    // A short token is guessed; a control character would not survive an Authorization header.
    if (typeof value !== "string" || value.length < 16 || /[\s\x00-\x1f\x7f]/.test(value)) {
      throw new ConfigError(key, value, "a token of at least 16 characters without spaces");
    }
    return value;
  },
  logLevel: (key, value) => {
    const level = typeof value === "string" ? value.toLowerCase() : value;
    if (typeof level !== "string" || !LOG_LEVELS.includes(level as LogLevel)) {
      throw new ConfigError(key, value, `one of ${LOG_LEVELS.join(", ")}`);
    }
    return level;
  },
  accessLog: optionalPath,
  accessLogFormat: (key, value) => {
    const expected = "a format of Gunicorn's access log atoms (h l u t r m U q H s B b f a T M D L p, {header}i, " +
      "{header}o, {name}e), such as `%(h)s \"%(r)s\" %(s)s %(D)s`";
    if (typeof value !== "string" || value === "") throw new ConfigError(key, value, expected);
    try {
      compileAccessLogFormat(value);
    } catch (error) {
      throw new ConfigError(key, value, `${expected}; ${(error as Error).message} is not one`);
    }
    return value;
  },
  errorLog: (key, value) => {
    if (typeof value !== "string" || value === "") throw new ConfigError(key, value, "a file path, or - for standard error");
    return value;
  },
  logFormat: (key, value) => {
    if (value !== "text" && value !== "json") throw new ConfigError(key, value, "text or json");
    return value;
  },
  pidfile: optionalPath,
  name: (key, value) => {
    if (value === null) return null;
    if (typeof value !== "string" || !/^[\w.@:+-]{1,64}$/.test(value)) {
      throw new ConfigError(key, value, "a short name of letters, digits and . _ - @ : +");
    }
    return value;
  },
  user: account("a user name or a numeric uid"),
  group: account("a group name or a numeric gid"),
  umask: (key, value) => {
    if (value === null) return null;
    if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0o777) return value;
    // Gunicorn takes 0o027, 0027 and 027 alike: octal, as umask(1) does.
    const match = typeof value === "string" ? /^(?:0o?)?([0-7]{1,4})$/i.exec(value.trim()) : null;
    const mask = match ? parseInt(match[1]!, 8) : NaN;
    if (!(mask >= 0 && mask <= 0o777)) throw new ConfigError(key, value, "an octal mask such as 027 or 0o077");
    return mask;
  },
  limitRequestLine: integer(0),
  limitRequestFields: integer(0),
  limitRequestFieldSize: integer(0),
  limitRequestBody: bytes,
  headersTimeout: seconds(),
  bodyTimeout: seconds(),
  requestTimeout: seconds(),
  forwardedAllowIps: (key, value) => {
    const list = typeof value === "string" ? value.split(",").map((part) => part.trim()).filter(Boolean) : value;
    const expected = "addresses or CIDR ranges separated by commas, such as `127.0.0.1,10.0.0.0/8`, or `*`";
    if (!Array.isArray(list) || !list.every((item) => typeof item === "string" && isAddressPattern(item))) {
      throw new ConfigError(key, value, expected);
    }
    return list;
  },
  workerConnections: integer(0),
  wsMaxSize: bytes,
  wsPingInterval: seconds(),
  wsPingTimeout: seconds(),
  preloadApp: boolean,
  reload: boolean,
  reloadExtraFiles: stringList("file or directory paths"),
  reloadIgnore: stringList("globs such as `*.test.ts` or `src/generated/**`"),
  hooks: (key, value) => validateHooks(key, value),
};

const BYTE_UNITS: Record<string, number> = { "": 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

function boolean(key: string, value: unknown): boolean {
  if (value === true || value === "true" || value === "1") return true;
  if (value === false || value === "false" || value === "0") return false;
  throw new ConfigError(key, value, "true or false");
}

/** A list of non-empty strings; a string (from the environment) is split at commas. */
function stringList(what: string): Check {
  return (key, value) => {
    const list = typeof value === "string" ? value.split(",").map((part) => part.trim()).filter(Boolean) : value;
    if (!Array.isArray(list) || !list.every((item) => typeof item === "string" && item !== "")) {
      throw new ConfigError(key, value, `a list of ${what}`);
    }
    return [...list];
  };
}

/** A size in bytes: an integer, or a string such as `1048576`, `512k` or `10MB` (units of 1024). */
function bytes(key: string, value: unknown): number {
  const match = typeof value === "string" ? /^\s*(\d+)\s*([kmg]?b?)\s*$/i.exec(value) : null;
  const n = typeof value === "number" ? value : match ? Number(match[1]) * (BYTE_UNITS[match[2]!.toLowerCase()] ?? Number.NaN) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(key, value, "a size in bytes >= 0, such as 1048576, 512k or 10MB");
  return n;
}

function isIPv4(text: string): boolean {
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  return octets !== null && octets.slice(1).every((octet) => Number(octet) <= 255);
}

/** Eight groups of 1–4 hex digits, `::` standing for one or more zero groups at most once. */
function isIPv6(text: string): boolean {
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const groups = halves.map((half) => (half === "" ? [] : half.split(":")));
  const all = groups.flat();
  // An embedded IPv4 address (::ffff:1.2.3.4) counts as two groups, and only at the end.
  const last = all.at(-1);
  const embedsV4 = last !== undefined && last.includes(".");
  if (embedsV4 && !isIPv4(last)) return false;
  const hex = embedsV4 ? all.slice(0, -1) : all;
  if (!hex.every((group) => /^[\da-f]{1,4}$/i.test(group))) return false;
  const count = hex.length + (embedsV4 ? 2 : 0);
  return halves.length === 2 ? count < 8 : count === 8;
}

/** True for `*`, an IPv4 or IPv6 address, or either with a `/prefix`. */
function isAddressPattern(text: string): boolean {
  if (text === "*") return true;
  const [address, prefix, ...rest] = text.split("/");
  if (rest.length > 0 || !address) return false;
  const isV4 = isIPv4(address);
  const isV6 = !isV4 && isIPv6(address);
  if (!isV4 && !isV6) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (isV4 ? 32 : 128);
}

/** A user or group: a name as /etc/passwd spells them, or a number; null for none. */
function account(expected: string) {
  return (key: string, value: unknown): string | null => {
    if (value === null) return null;
    const text = typeof value === "number" ? String(value) : value;
    if (typeof text !== "string" || !/^(?:\d+|[a-z_][a-z0-9_.-]{0,31}\$?)$/i.test(text)) throw new ConfigError(key, value, expected);
    return text;
  };
}

function optionalPath(key: string, value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== "string" || value === "") throw new ConfigError(key, value, "a file path, or - for standard output");
  return value;
}

/** Reads a number from a config value; strings must be plain decimals (no `0x10`, no `1e3`). */
function toNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && /^\s*\d+(?:\.\d+)?\s*$/.test(value)) return Number(value);
  return Number.NaN;
}

function integer(min: number, max = Number.POSITIVE_INFINITY): Check {
  const expected = max === Number.POSITIVE_INFINITY ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  return (key, value) => {
    const n = toNumber(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(key, value, expected);
    return n;
  };
}

function seconds(): Check {
  return (key, value) => {
    const n = toNumber(value);
    if (!Number.isFinite(n) || n < 0) throw new ConfigError(key, value, "a number of seconds >= 0");
    return n;
  };
}

const BIND_EXPECTED = "HOST:PORT, [IPv6]:PORT, HOST, unix:PATH or fd://FD, with PORT from 1 to 65535";

/**
 * Parses a Gunicorn-style bind: `HOST:PORT`, `[::1]:PORT`, or a bare `HOST` (port 8000).
 *
 * @example
 * ```ts
 * parseBind("0.0.0.0:8080"); // { host: "0.0.0.0", port: 8080 }
 * parseBind("[::1]:8080");   // { host: "::1", port: 8080 }
 * parseBind("fd://3");       // { fd: 3 }, a socket the master inherited open
 * ```
 * @throws {ConfigError} when the address cannot be read.
 */
export function parseBind(text: string, key = "bind"): ListenAddress {
  if (text.startsWith("unix:")) {
    const path = text.slice("unix:".length);
    if (path === "") throw new ConfigError(key, text, BIND_EXPECTED);
    return checkUnixPath(key, text, path);
  }
  if (text.startsWith("fd://")) {
    const fd = text.slice("fd://".length);
    // 0, 1 and 2 are the standard streams, never a listening socket.
    if (!/^\d+$/.test(fd) || Number(fd) < 3) throw new ConfigError(key, text, `${BIND_EXPECTED} (FD 3 or above)`);
    return { fd: Number(fd) };
  }
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  let host: string;
  let portText: string | undefined;
  if (bracketed) {
    [, host, portText] = bracketed as unknown as [string, string, string | undefined];
  } else {
    const colons = text.split(":").length - 1;
    if (colons > 1 && !text.startsWith("[")) {
      throw new ConfigError(key, text, `${BIND_EXPECTED} (write IPv6 hosts in brackets)`);
    }
    [host, portText] = text.split(":") as [string, string | undefined];
  }
  if (host === "" || /[[\]]/.test(host)) throw new ConfigError(key, text, BIND_EXPECTED);
  const port = portText === undefined ? DEFAULT_BIND.port : Number(portText);
  if (!/^\d+$/.test(portText ?? "8000") || port < 1 || port > 65535) {
    throw new ConfigError(key, text, BIND_EXPECTED);
  }
  return { host, port };
}

/**
 * A unix socket address at `path`, refused when the path is too long for one: Node would bind it cut
 * short without a word (see unix-socket-path.ts). `value` is what was given, for the message.
 */
function checkUnixPath(key: string, value: unknown, path: string): UnixAddress {
  const bytes = unixSocketPathOverLimit(path);
  if (bytes !== undefined) {
    throw new ConfigError(key, value, `unix:PATH with a PATH of at most ${MAX_UNIX_SOCKET_PATH_BYTES} bytes, a unix socket's limit (this one has ${bytes}): choose a shorter path`);
  }
  return { path };
}

/**
 * Checks an address given as an object (a config file's `bind` entry, an old master's addresses) and
 * returns it with only its own fields; an inherited socket keeps its `name`, which the log shows.
 *
 * @throws {ConfigError} naming `key` when it is not an address.
 */
export function checkListenAddress(key: string, value: unknown): ListenAddress {
  const inherited = value as Partial<FdAddress> | null;
  if (typeof inherited === "object" && inherited !== null && "fd" in inherited) {
    if (!Number.isInteger(inherited.fd) || inherited.fd! < 3) throw new ConfigError(key, value, BIND_EXPECTED);
    return { fd: inherited.fd!, ...(typeof inherited.name === "string" && { name: inherited.name }) };
  }
  const unix = value as Partial<UnixAddress> | null;
  if (typeof unix === "object" && unix !== null && "path" in unix) {
    if (typeof unix.path !== "string" || unix.path === "") throw new ConfigError(key, value, BIND_EXPECTED);
    return checkUnixPath(key, value, unix.path);
  }
  const address = value as Partial<TcpAddress> | null;
  if (
    typeof address !== "object" || address === null || typeof address.host !== "string" ||
    !Number.isInteger(address.port) || address.port! < 1 || address.port! > 65535
  ) {
    throw new ConfigError(key, value, BIND_EXPECTED);
  }
  return { host: address.host, port: address.port! };
}

/**
 * True for an address only this machine can reach: a unix socket, `localhost`, 127.0.0.0/8 or `::1`.
 */
export function isLoopbackAddress(address: ListenAddress): boolean {
  if (isUnixAddress(address)) return true;
  if (isFdAddress(address)) return false;
  const host = address.host.toLowerCase();
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Formats an address the way users type it: `127.0.0.1:8000`, `[::1]:8000`, `unix:/run/app.sock`,
 * `fd://3`; an inherited socket whose address is known goes by that address.
 */
export function formatAddress(address: ListenAddress): string {
  if (isUnixAddress(address)) return `unix:${address.path}`;
  if (isFdAddress(address)) return address.name ?? `fd://${address.fd}`;
  return address.host.includes(":") ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** Where to point a client: `http://127.0.0.1:8000`, `unix:/run/app.sock`, or `fd://3`. */
export function formatListenUrl(address: ListenAddress): string {
  const text = formatAddress(address);
  return /^(?:unix:|fd:)/.test(text) ? text : `http://${text}`;
}
