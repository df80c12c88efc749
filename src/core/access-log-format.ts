/**
 * The access log: one line per request in Gunicorn's format atoms, so existing log parsers and
 * dashboards read mgr's lines as they read Gunicorn's.
 *
 * @module
 */

import { escapeLogText } from "./log-escape.ts";
import { formatTimestamp } from "./logger.ts";

/** What is known of one request when its response is ready. */
export interface AccessEntry {
  request: Request;
  response: Response;
  /** The client's address, when the runtime tells it. */
  remoteAddress?: string;
  /** `1.1`, `2.0`…, when the runtime tells it. */
  httpVersion?: string;
  /** When the handler was called, milliseconds since the epoch. */
  startedAt: number;
  /** From the handler's call to its response, in microseconds. */
  durationMicros: number;
  pid: number;
  env: Record<string, string | undefined>;
  /**
   * The body bytes sent to the client, when counted; else the response's `Content-Length` stands for
   * them.
   */
  bytesSent?: number;
}

type Atom = (entry: AccessEntry) => string;

const dash = (value: string | null | undefined) => (value === null || value === undefined || value === "" ? "-" : value);

/** What a client sent: escaped (see log-escape.ts), a dash when absent. */
const sent = (value: string | null | undefined) => escapeLogText(dash(value));

function url(entry: AccessEntry): URL {
  // Bun gives an HTTP/1.0 request without Host a relative URL; its line is logged all the same.
  return new URL(entry.request.url, "http://localhost");
}

function requestLine(entry: AccessEntry): string {
  const { pathname, search } = url(entry);
  return escapeLogText(`${entry.request.method} ${pathname}${search} ${protocol(entry)}`);
}

function protocol(entry: AccessEntry): string {
  return `HTTP/${entry.httpVersion ?? "1.1"}`;
}

function basicAuthUser(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  if (!header?.toLowerCase().startsWith("basic ")) return undefined;
  try {
    return atob(header.slice(6).trim()).split(":")[0];
  } catch {
    return undefined;
  }
}

function bodyLength(entry: AccessEntry): string | undefined {
  if (entry.bytesSent !== undefined) return entry.bytesSent > 0 ? String(entry.bytesSent) : undefined;
  return entry.response.headers.get("content-length") ?? undefined;
}

/** The atoms, by letter, with Gunicorn's meaning. */
const ATOMS: Record<string, Atom> = {
  h: (e) => sent(e.remoteAddress),
  l: () => "-",
  u: (e) => sent(basicAuthUser(e.request)),
  t: (e) => `[${formatAccessTime(e.startedAt)}]`,
  r: requestLine,
  m: (e) => escapeLogText(e.request.method),
  U: (e) => escapeLogText(url(e).pathname),
  q: (e) => escapeLogText(url(e).search.slice(1)),
  H: protocol,
  s: (e) => String(e.response.status),
  B: (e) => bodyLength(e) ?? "0",
  b: (e) => dash(bodyLength(e)),
  f: (e) => sent(e.request.headers.get("referer")),
  a: (e) => sent(e.request.headers.get("user-agent")),
  T: (e) => String(Math.floor(e.durationMicros / 1_000_000)),
  M: (e) => String(Math.floor(e.durationMicros / 1_000)),
  D: (e) => String(Math.round(e.durationMicros)),
  L: (e) => (e.durationMicros / 1_000_000).toFixed(6),
  p: (e) => `<${e.pid}>`,
};

/** Every atom letter, for error messages and docs. */
export const ACCESS_LOG_ATOMS = Object.keys(ATOMS);

type JsonValue = string | number | null;
const number = (text: string): number | null => (text === "-" || text === "" ? null : Number(text));
const raw = (value: string | null | undefined): string | null => (value === null || value === undefined || value === "" ? null : value);

/**
 * The JSON access log's field for each atom: a name a log shipper can index, and the value typed
 * (numbers as numbers, absent details as null). No escaping: JSON's own keeps a line one line.
 */
const JSON_FIELDS: Record<string, [string, (entry: AccessEntry) => JsonValue]> = {
  h: ["remote_addr", (e) => raw(e.remoteAddress)],
  l: ["ident", () => null],
  u: ["user", (e) => raw(basicAuthUser(e.request))],
  t: ["time", (e) => new Date(e.startedAt).toISOString()],
  r: ["request", (e) => `${e.request.method} ${url(e).pathname}${url(e).search} ${protocol(e)}`],
  m: ["method", (e) => e.request.method],
  U: ["path", (e) => url(e).pathname],
  q: ["query", (e) => url(e).search.slice(1)],
  H: ["protocol", protocol],
  s: ["status", (e) => e.response.status],
  B: ["bytes", (e) => Number(bodyLength(e) ?? 0)],
  b: ["bytes", (e) => Number(bodyLength(e) ?? 0)],
  f: ["referer", (e) => raw(e.request.headers.get("referer"))],
  a: ["user_agent", (e) => raw(e.request.headers.get("user-agent"))],
  T: ["duration_s", (e) => number(ATOMS.T!(e))],
  M: ["duration_ms", (e) => number(ATOMS.M!(e))],
  D: ["duration_us", (e) => number(ATOMS.D!(e))],
  L: ["duration", (e) => number(ATOMS.L!(e))],
  p: ["pid", (e) => e.pid],
};

/** True when `format` shows the bytes sent (`%(b)s` or `%(B)s`), which then have to be counted. */
export function showsBytesSent(format: string): boolean {
  return /%\([bB]\)s/.test(format);
}

/**
 * Compiles an access log format into a function that writes one entry as a JSON object: `time` (ISO
 * 8601) first, then a field per atom of `format` (`%(s)s` → `status`, `%({x-request-id}i)s` →
 * `request_header_x-request-id`, `{name}o` → `response_header_name`, `{name}e` → `env_name`), so
 * `--log-format json` gives the access log the same shape of line as the error log.
 *
 * @throws {RangeError} naming an atom that does not exist.
 */
export function compileAccessLogJson(format: string): (entry: AccessEntry) => string {
  compileAccessLogFormat(format); // the same atoms are allowed, and the same error names a wrong one
  const fields: [string, (entry: AccessEntry) => JsonValue][] = [["time", (e) => new Date(e.startedAt).toISOString()]];
  for (const match of format.matchAll(/%\((\{([^}]+)\}([ioe])|[^)]*)\)s/g)) {
    const [, atom, name, kind] = match;
    if (name !== undefined) {
      const key = name.toLowerCase();
      fields.push(
        kind === "i"
          ? [`request_header_${key}`, (e) => raw(e.request.headers.get(key))]
          : kind === "o"
          ? [`response_header_${key}`, (e) => raw(e.response.headers.get(key))]
          : [`env_${name}`, (e) => raw(e.env[name])],
      );
    } else {
      fields.push(JSON_FIELDS[atom!]!);
    }
  }
  return (entry) => {
    const line: Record<string, JsonValue> = {};
    for (const [name, value] of fields) line[name] = value(entry);
    return JSON.stringify(line);
  };
}

/**
 * Compiles a Gunicorn access log format (`%(h)s "%(r)s" %({x-request-id}i)s`) into a function that
 * formats one entry. What a client sent (the request line, its headers, a Basic user, a forwarded
 * address) and the response's headers are escaped, so no request can forge or break a line.
 *
 * @throws {RangeError} naming an atom that does not exist.
 */
export function compileAccessLogFormat(format: string): (entry: AccessEntry) => string {
  const parts: (string | Atom)[] = [];
  let last = 0;
  for (const match of format.matchAll(/%\((\{([^}]+)\}([ioe])|[^)]*)\)s/g)) {
    parts.push(format.slice(last, match.index));
    last = match.index + match[0].length;
    const [, atom, name, kind] = match;
    if (name !== undefined) {
      const key = name.toLowerCase();
      parts.push(
        kind === "i"
          ? (e) => sent(e.request.headers.get(key))
          : kind === "o"
          ? (e) => sent(e.response.headers.get(key))
          : (e) => dash(e.env[name]),
      );
    } else {
      const fn = ATOMS[atom!];
      if (!fn) throw new RangeError(`unknown atom %(${atom})s`);
      parts.push(fn);
    }
  }
  parts.push(format.slice(last));
  return (entry) => parts.map((part) => (typeof part === "string" ? part : part(entry))).join("");
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `26/Nov/2026:07:40:00 +0000`, the Common Log Format's time. */
export function formatAccessTime(ms: number): string {
  // Reuse the error log's local time and offset, then rearrange it into CLF order.
  const [date, time, zone] = formatTimestamp(ms).split(" ") as [string, string, string];
  const [year, month, day] = date.split("-");
  return `${day}/${MONTHS[Number(month) - 1]}/${year}:${time} ${zone}`;
}
