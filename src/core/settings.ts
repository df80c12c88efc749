/**
 * Every setting once: its config-file key, its flag, its environment variable and its help, so the
 * command line, the environment, the config file, `mgr --help` and `mgr print-config` cannot drift
 * apart (Gunicorn keeps one `Setting` class per option for the same reason).
 *
 * @module
 */

import type { Config } from "./config.ts";
import {
  DEFAULT_BACKLOG,
  DEFAULT_BODY_TIMEOUT,
  DEFAULT_WS_PING_INTERVAL,
  DEFAULT_WS_PING_TIMEOUT,
  DEFAULT_FORWARDED_ALLOW_IPS,
  DEFAULT_GRACEFUL_TIMEOUT,
  DEFAULT_HEADERS_TIMEOUT,
  DEFAULT_KEEPALIVE,
  DEFAULT_LIMIT_REQUEST_FIELD_SIZE,
  DEFAULT_LIMIT_REQUEST_FIELDS,
  DEFAULT_LIMIT_REQUEST_LINE,
  DEFAULT_TIMEOUT,
} from "./config.ts";

/** The keys a setting can have: everything in {@linkcode Config} but the hooks, which only a file can set. */
export type SettingKey = Exclude<keyof Config, "hooks">;

/** One setting. */
export interface Setting {
  key: SettingKey;
  /** The long flag, without dashes; absent for the app, which is a positional argument. */
  flag?: string;
  short?: string;
  /** True when the flag may be given several times. */
  multiple?: boolean;
  /** True for a flag that takes no value (`--reload`). */
  boolean?: boolean;
  /** The `MGR_*` environment variable. */
  env: string;
  /** The placeholder in `--help`, e.g. `INT`. */
  meta: string;
  help: string;
  /** The default as `--help` shows it. */
  defaultHelp: string;
}

/** All settings, in the order `--help` and `print-config` list them. */
export const SETTINGS: readonly Setting[] = [
  {
    key: "app",
    env: "MGR_APP",
    meta: "APP",
    help: "The app module, e.g. app.ts or src/server.ts:api (an APP argument wins).",
    defaultHelp: "",
  },
  {
    key: "workers",
    flag: "workers",
    short: "w",
    env: "MGR_WORKERS",
    meta: "INT",
    help: "Worker processes to run.",
    defaultHelp: "number of CPU cores, or $WEB_CONCURRENCY",
  },
  {
    key: "bind",
    flag: "bind",
    short: "b",
    multiple: true,
    env: "MGR_BIND",
    meta: "ADDRESS",
    help: "Address to listen on: HOST:PORT, [IPv6]:PORT, HOST, or unix:PATH (Node). Repeat to listen " +
      "on several ($MGR_BIND takes a comma-separated list).",
    defaultHelp: "127.0.0.1:8000, or 0.0.0.0:$PORT",
  },
  {
    key: "timeout",
    flag: "timeout",
    short: "t",
    env: "MGR_TIMEOUT",
    meta: "SECONDS",
    help: "Kill and replace a worker silent (its event loop blocked) for this long; 0 disables.",
    defaultHelp: String(DEFAULT_TIMEOUT),
  },
  {
    key: "gracefulTimeout",
    flag: "graceful-timeout",
    env: "MGR_GRACEFUL_TIMEOUT",
    meta: "SECONDS",
    help: "Time a stopping worker has to finish its requests before it is killed.",
    defaultHelp: String(DEFAULT_GRACEFUL_TIMEOUT),
  },
  {
    key: "keepalive",
    flag: "keepalive",
    env: "MGR_KEEPALIVE",
    meta: "SECONDS",
    help: "Time an idle keep-alive connection stays open (never cuts a response in progress).",
    defaultHelp: String(DEFAULT_KEEPALIVE),
  },
  {
    key: "headersTimeout",
    flag: "headers-timeout",
    env: "MGR_HEADERS_TIMEOUT",
    meta: "SECONDS",
    help: "Close a connection that has not sent a complete request head within this long (408); 0 disables.",
    defaultHelp: String(DEFAULT_HEADERS_TIMEOUT),
  },
  {
    key: "bodyTimeout",
    flag: "body-timeout",
    env: "MGR_BODY_TIMEOUT",
    meta: "SECONDS",
    help: "Fail a request whose body stalls (no bytes arrive) this long while the app reads it; 0 disables.",
    defaultHelp: String(DEFAULT_BODY_TIMEOUT),
  },
  {
    key: "requestTimeout",
    flag: "request-timeout",
    env: "MGR_REQUEST_TIMEOUT",
    meta: "SECONDS",
    help: "Answer 503 when the app has not responded within this long, and log it; 0 disables.",
    defaultHelp: "0",
  },
  {
    key: "limitRequestLine",
    flag: "limit-request-line",
    env: "MGR_LIMIT_REQUEST_LINE",
    meta: "INT",
    help: "The longest request line in bytes; longer gets 414. 0 means unlimited.",
    defaultHelp: String(DEFAULT_LIMIT_REQUEST_LINE),
  },
  {
    key: "limitRequestFields",
    flag: "limit-request-fields",
    env: "MGR_LIMIT_REQUEST_FIELDS",
    meta: "INT",
    help: "The most header fields in a request; more gets 431. 0 means unlimited.",
    defaultHelp: String(DEFAULT_LIMIT_REQUEST_FIELDS),
  },
  {
    key: "limitRequestFieldSize",
    flag: "limit-request-field-size",
    env: "MGR_LIMIT_REQUEST_FIELD_SIZE",
    meta: "INT",
    help: "The longest header field in bytes; longer gets 431. 0 means unlimited.",
    defaultHelp: String(DEFAULT_LIMIT_REQUEST_FIELD_SIZE),
  },
  {
    key: "limitRequestBody",
    flag: "limit-request-body",
    env: "MGR_LIMIT_REQUEST_BODY",
    meta: "BYTES",
    help: "The largest request body (512k, 10MB…); larger gets 413 before it is read. 0 means unlimited.",
    defaultHelp: "0",
  },
  {
    key: "forwardedAllowIps",
    flag: "forwarded-allow-ips",
    env: "MGR_FORWARDED_ALLOW_IPS",
    meta: "IPS",
    help: "Proxies whose X-Forwarded-For/-Proto and Forwarded headers are believed: addresses, CIDR " +
      "ranges, or * ($FORWARDED_ALLOW_IPS too, as in Gunicorn).",
    defaultHelp: DEFAULT_FORWARDED_ALLOW_IPS.join(","),
  },
  {
    key: "workerConnections",
    flag: "worker-connections",
    env: "MGR_WORKER_CONNECTIONS",
    meta: "INT",
    help: "The most connections one worker holds at once; what the runtime does with more is in the README. " +
      "0 means unlimited.",
    defaultHelp: "0",
  },
  {
    key: "wsMaxSize",
    flag: "ws-max-size",
    env: "MGR_WS_MAX_SIZE",
    meta: "BYTES",
    help: "The largest WebSocket message (64k, 16MB…); a larger one closes its socket with 1009.",
    defaultHelp: "16MB",
  },
  {
    key: "wsPingInterval",
    flag: "ws-ping-interval",
    env: "MGR_WS_PING_INTERVAL",
    meta: "SECONDS",
    help: "Ping a WebSocket that has been idle this long; 0 sends no pings.",
    defaultHelp: String(DEFAULT_WS_PING_INTERVAL),
  },
  {
    key: "wsPingTimeout",
    flag: "ws-ping-timeout",
    env: "MGR_WS_PING_TIMEOUT",
    meta: "SECONDS",
    help: "Close a WebSocket whose ping has gone unanswered this long.",
    defaultHelp: String(DEFAULT_WS_PING_TIMEOUT),
  },
  {
    key: "maxRequests",
    flag: "max-requests",
    env: "MGR_MAX_REQUESTS",
    meta: "INT",
    help: "Replace a worker after it has served this many requests; 0 disables.",
    defaultHelp: "0",
  },
  {
    key: "maxRequestsJitter",
    flag: "max-requests-jitter",
    env: "MGR_MAX_REQUESTS_JITTER",
    meta: "INT",
    help: "Add up to this many requests at random per worker, so workers are not replaced at once.",
    defaultHelp: "0",
  },
  {
    key: "maxRss",
    flag: "max-rss",
    env: "MGR_MAX_RSS",
    meta: "MB",
    help: "Replace a worker whose resident memory passes this many megabytes, as max-requests does; 0 disables.",
    defaultHelp: "0",
  },
  {
    key: "backlog",
    flag: "backlog",
    env: "MGR_BACKLOG",
    meta: "INT",
    help: "Connections the kernel queues before they are accepted.",
    defaultHelp: String(DEFAULT_BACKLOG),
  },
  {
    key: "accessLog",
    flag: "access-log",
    env: "MGR_ACCESS_LOG",
    meta: "PATH",
    help: "Write an access log line per request to PATH, or to standard output with -.",
    defaultHelp: "none",
  },
  {
    key: "accessLogFormat",
    flag: "access-log-format",
    env: "MGR_ACCESS_LOG_FORMAT",
    meta: "FORMAT",
    help: "The access log line, in Gunicorn's atoms: %(h)s %(t)s %(r)s %(s)s %(b)s %(D)s {header}i …",
    defaultHelp: "Gunicorn's",
  },
  {
    key: "errorLog",
    flag: "error-log",
    env: "MGR_ERROR_LOG",
    meta: "PATH",
    help: "Write the error log to PATH, or to standard error with -.",
    defaultHelp: "-",
  },
  {
    key: "logLevel",
    flag: "log-level",
    env: "MGR_LOG_LEVEL",
    meta: "LEVEL",
    help: "debug, info, warning, error or critical.",
    defaultHelp: "info",
  },
  {
    key: "logFormat",
    flag: "log-format",
    env: "MGR_LOG_FORMAT",
    meta: "FORMAT",
    help: "text (Gunicorn's lines) or json (one object per line).",
    defaultHelp: "text",
  },
  {
    key: "pidfile",
    flag: "pid",
    short: "p",
    env: "MGR_PID",
    meta: "PATH",
    help: "Write the master's pid to PATH; refuse to start while it names a live master.",
    defaultHelp: "none",
  },
  {
    key: "adminBind",
    flag: "admin-bind",
    env: "MGR_ADMIN_BIND",
    meta: "ADDRESS",
    help: "Serve the admin endpoint (/healthz, /readyz, /status, /metrics, a dashboard at /) from the master " +
      "at HOST:PORT or unix:PATH; off loopback it needs --admin-token.",
    defaultHelp: "none",
  },
  {
    key: "adminToken",
    flag: "admin-token",
    env: "MGR_ADMIN_TOKEN",
    meta: "TOKEN",
    help: "The bearer token the admin endpoint asks for (16 characters or more); the dashboard's reload and " +
      "scale buttons need it. Prefer $MGR_ADMIN_TOKEN: a flag shows in ps.",
    defaultHelp: "none",
  },
  {
    key: "preloadApp",
    // Gunicorn's spelling, so that a Gunicorn command line runs (and is not taken for a misspelt --reload).
    flag: "preload",
    boolean: true,
    env: "MGR_PRELOAD_APP",
    meta: "",
    help: "Gunicorn's --preload (preload_app), accepted and without effect, as the master says at start: no " +
      "fork shares an app loaded in the master, so each worker imports it (one that fails to import stops the master).",
    defaultHelp: "off",
  },
  {
    key: "reload",
    flag: "reload",
    boolean: true,
    env: "MGR_RELOAD",
    meta: "",
    help: "Development: reload the workers, as HUP does, when a file under the app's directory (or the config " +
      "file) changes; a save that breaks the app keeps the old workers serving.",
    defaultHelp: "off",
  },
  {
    key: "reloadExtraFiles",
    flag: "reload-extra-file",
    multiple: true,
    env: "MGR_RELOAD_EXTRA_FILE",
    meta: "PATH",
    help: "With --reload, watch PATH too (a file or a directory); repeatable.",
    defaultHelp: "none",
  },
  {
    key: "reloadIgnore",
    flag: "reload-ignore",
    multiple: true,
    env: "MGR_RELOAD_IGNORE",
    meta: "GLOB",
    help: "With --reload, ignore paths matching GLOB (node_modules, .git and dot-directories always are); repeatable.",
    defaultHelp: "none",
  },
  {
    key: "user",
    flag: "user",
    short: "u",
    env: "MGR_USER",
    meta: "USER",
    help: "Run the workers as this user (a name or a uid); the master keeps its own, to bind and signal.",
    defaultHelp: "the master's",
  },
  {
    key: "group",
    flag: "group",
    short: "g",
    env: "MGR_GROUP",
    meta: "GROUP",
    help: "Run the workers as this group (a name or a gid).",
    defaultHelp: "the user's",
  },
  {
    key: "umask",
    flag: "umask",
    short: "m",
    env: "MGR_UMASK",
    meta: "MASK",
    help: "The file mode creation mask of the master and its workers, in octal (027). In a config file write " +
      "\"027\" (a string, as JSON must) or 0o027: a bare number is taken as it is (27 is 0o033).",
    defaultHelp: "inherited",
  },
  {
    key: "name",
    flag: "name",
    short: "n",
    env: "MGR_NAME",
    meta: "NAME",
    help: "Name the processes: `mgr: master [NAME]`, `mgr: worker [NAME]` (Gunicorn's proc_name).",
    defaultHelp: "none",
  },
];

/** The setting for `key`. */
export function settingFor(key: SettingKey): Setting {
  return SETTINGS.find((s) => s.key === key)!;
}
