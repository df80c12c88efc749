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

function bodyLength(response: Response): string | undefined {
  return response.headers.get("content-length") ?? undefined;
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
  B: (e) => bodyLength(e.response) ?? "0",
  b: (e) => dash(bodyLength(e.response)),
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
