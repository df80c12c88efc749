import { describe, expect, it } from "vitest";
import { ACCESS_LOG_ATOMS, type AccessEntry, compileAccessLogFormat, compileAccessLogJson, formatAccessTime, showsBytesSent } from "./access-log-format.ts";
import { DEFAULT_ACCESS_LOG_FORMAT } from "./config.ts";

/** The zone as the access log prints it, e.g. `+0000`, `-0330`, for local time at `ms`. */
function zoneAt(ms: number): string {
  const offset = -new Date(ms).getTimezoneOffset();
  const abs = Math.abs(offset);
  return `${offset >= 0 ? "+" : "-"}${String(Math.floor(abs / 60)).padStart(2, "0")}${String(abs % 60).padStart(2, "0")}`;
}

const STARTED_AT = new Date(2026, 10, 26, 7, 40, 5).getTime();

/** One POST with every detail an atom can show. */
function entry(overrides: Partial<AccessEntry> = {}): AccessEntry {
  return {
    request: new Request("http://example.com/search?q=mgr&page=2", {
      method: "POST",
      headers: {
        authorization: `Basic ${btoa("alice:secret")}`,
        referer: "http://example.com/",
        "user-agent": "curl/8.5.0",
        "x-request-id": "abc-123",
      },
    }),
    response: new Response("hello", { status: 201, headers: { "content-length": "5", "x-cache": "HIT" } }),
    remoteAddress: "10.0.0.7",
    httpVersion: "1.1",
    startedAt: STARTED_AT,
    durationMicros: 1_234_567.8,
    pid: 4242,
    env: { DEPLOY: "blue" },
    ...overrides,
  };
}

/** One GET with nothing more than a request and a response. */
function bareEntry(): AccessEntry {
  return {
    request: new Request("http://example.com/"),
    response: new Response(null, { status: 204 }),
    startedAt: STARTED_AT,
    durationMicros: 250,
    pid: 7,
    env: {},
  };
}

const format = (fmt: string, e: AccessEntry = entry()) => compileAccessLogFormat(fmt)(e);

describe("compileAccessLogFormat", () => {
  const atoms: [string, string, string][] = [
    ["h", "10.0.0.7", "-"],
    ["l", "-", "-"],
    ["u", "alice", "-"],
    ["t", `[26/Nov/2026:07:40:05 ${zoneAt(STARTED_AT)}]`, `[26/Nov/2026:07:40:05 ${zoneAt(STARTED_AT)}]`],
    ["r", "POST /search?q=mgr&page=2 HTTP/1.1", "GET / HTTP/1.1"],
    ["m", "POST", "GET"],
    ["U", "/search", "/"],
    ["q", "q=mgr&page=2", ""],
    ["H", "HTTP/1.1", "HTTP/1.1"],
    ["s", "201", "204"],
    ["B", "5", "0"],
    ["b", "5", "-"],
    ["f", "http://example.com/", "-"],
    ["a", "curl/8.5.0", "-"],
    ["T", "1", "0"],
    ["M", "1234", "0"],
    ["D", "1234568", "250"],
    ["L", "1.234568", "0.000250"],
    ["p", "<4242>", "<7>"],
  ];

  it("covers every atom it knows", () => {
    expect(atoms.map(([atom]) => atom).sort()).toEqual([...ACCESS_LOG_ATOMS].sort());
  });

  it.each(atoms)("formats atom %s as %j, or %j when the detail is missing", (atom, full, bare) => {
    expect(format(`%(${atom})s`)).toBe(full);
    expect(format(`%(${atom})s`, bareEntry())).toBe(bare);
  });

  it("reads a request header with {header}i, in any case, and a dash when it is absent", () => {
    expect(format("%({x-request-id}i)s %({X-Request-Id}i)s %({x-missing}i)s")).toBe("abc-123 abc-123 -");
  });

  it("reads a response header with {header}o, and a dash when it is absent", () => {
    expect(format("%({x-cache}o)s %({Content-Length}o)s %({etag}o)s")).toBe("HIT 5 -");
  });

  it("reads an environment variable with {name}e, by its exact name, and a dash when it is unset", () => {
    expect(format("%({DEPLOY}e)s %({deploy}e)s %({HOME_NOT_SET}e)s")).toBe("blue - -");
  });

  it("gives the HTTP version the runtime reports", () => {
    expect(format("%(H)s %(r)s", entry({ httpVersion: "2.0" }))).toBe("HTTP/2.0 POST /search?q=mgr&page=2 HTTP/2.0");
  });

  it("shows no user for an authorization that is not Basic, or not base64", () => {
    const bearer = new Request("http://example.com/", { headers: { authorization: "Bearer abc" } });
    const broken = new Request("http://example.com/", { headers: { authorization: "Basic !!!" } });
    expect(format("%(u)s", entry({ request: bearer }))).toBe("-");
    expect(format("%(u)s", entry({ request: broken }))).toBe("-");
  });

  it("formats Gunicorn's default format end to end", () => {
    expect(format(DEFAULT_ACCESS_LOG_FORMAT)).toBe(
      `10.0.0.7 - alice [26/Nov/2026:07:40:05 ${zoneAt(STARTED_AT)}] "POST /search?q=mgr&page=2 HTTP/1.1" 201 5 ` +
        '"http://example.com/" "curl/8.5.0"',
    );
    expect(format(DEFAULT_ACCESS_LOG_FORMAT, bareEntry())).toBe(
      `- - - [26/Nov/2026:07:40:05 ${zoneAt(STARTED_AT)}] "GET / HTTP/1.1" 204 - "-" "-"`,
    );
  });

  it("keeps the text around atoms as it is", () => {
    expect(format("status=%(s)s; took %(D)sus (100%)")).toBe("status=201; took 1234568us (100%)");
    expect(format("no atoms at all")).toBe("no atoms at all");
  });

  it("throws a RangeError naming an unknown atom", () => {
    expect(() => compileAccessLogFormat("%(h)s %(z)s")).toThrow(RangeError);
    expect(() => compileAccessLogFormat("%(h)s %(z)s")).toThrow("unknown atom %(z)s");
  });

  it("throws a RangeError for an unknown atom of more than one letter", () => {
    expect(() => compileAccessLogFormat("%(host)s")).toThrow(RangeError);
    expect(() => compileAccessLogFormat("%(host)s")).toThrow("unknown atom %(host)s");
    expect(() => compileAccessLogFormat("%({x-id}z)s")).toThrow("unknown atom %({x-id}z)s");
  });
});

describe("compileAccessLogFormat, on what a client sent", () => {
  // A client controls the request line, its headers and a Basic user name: none may forge a line or
  // close a quoted field early.
  const hostile = () =>
    entry({
      request: new Request("http://example.com/a%0Ab?x=%22", {
        headers: {
          authorization: `Basic ${btoa('eve\n10.0.0.1 - root "GET /admin":pw')}`,
          referer: 'http://x/" 200 0 "forged',
          "user-agent": "ua\x7f\x1b[31mred",
          "x-request-id": 'id"\\',
        },
      }),
      remoteAddress: "10.0.0.7",
    });

  it("escapes control characters, quotes and backslashes in every atom that comes from the request", () => {
    const line = format(`${DEFAULT_ACCESS_LOG_FORMAT} %({x-request-id}i)s`, hostile());
    expect(line).not.toMatch(/[\x00-\x1f\x7f]/);
    expect(line).toContain('eve\\n10.0.0.1 - root \\"GET /admin\\"');
    expect(line).toContain('"http://x/\\" 200 0 \\"forged"');
    expect(line).toContain('"ua\\x7f\\x1b[31mred"');
    expect(line).toContain('id\\"\\\\');
  });

  it("keeps the percent-encoding of the URL as it came", () => {
    expect(format("%(r)s|%(U)s|%(q)s", hostile())).toBe("GET /a%0Ab?x=%22 HTTP/1.1|/a%0Ab|x=%22");
  });

  it("logs a request whose URL is relative (Bun, HTTP/1.0 without Host) instead of throwing", () => {
    const request = { url: "/p?q=1", method: "GET", headers: new Headers() } as unknown as Request;
    expect(format("%(r)s %(U)s %(q)s", entry({ request }))).toBe("GET /p?q=1 HTTP/1.1 /p q=1");
  });
});

describe("formatAccessTime", () => {
  it("formats local time in the Common Log Format, zero-padded", () => {
    const ms = new Date(2026, 0, 2, 3, 4, 5).getTime();
    expect(formatAccessTime(ms)).toBe(`02/Jan/2026:03:04:05 ${zoneAt(ms)}`);
  });
});

describe("bytes sent", () => {
  it("shows the bytes counted as sent, over the response's Content-Length", () => {
    expect(format("%(b)s %(B)s", entry({ bytesSent: 3 }))).toBe("3 3");
    expect(format("%(b)s %(B)s", entry({ response: new Response("hello"), bytesSent: 5 }))).toBe("5 5");
    expect(format("%(b)s %(B)s", entry({ response: new Response(""), bytesSent: 0 }))).toBe("- 0");
  });

  it("says when a format shows them, so they are counted only then", () => {
    expect(showsBytesSent('%(h)s "%(r)s" %(s)s %(b)s')).toBe(true);
    expect(showsBytesSent("%(B)s")).toBe(true);
    expect(showsBytesSent('%(h)s "%(r)s" %(s)s')).toBe(false);
  });
});

describe("compileAccessLogJson", () => {
  it("writes one JSON object with the time and a typed field per atom", () => {
    const line = compileAccessLogJson('%(h)s "%(r)s" %(s)s %(b)s %(D)s %({x-request-id}i)s %(p)s %(f)s')(entry({ bytesSent: 5 }));
    expect(JSON.parse(line)).toEqual({
      time: new Date(STARTED_AT).toISOString(),
      remote_addr: "10.0.0.7",
      request: "POST /search?q=mgr&page=2 HTTP/1.1",
      status: 201,
      bytes: 5,
      duration_us: 1234568,
      "request_header_x-request-id": "abc-123",
      pid: 4242,
      referer: "http://example.com/",
    });
  });

  it("keeps quotes and backslashes inside their field, and null for what is absent", () => {
    const request = new Request("http://example.com/", { headers: { "user-agent": 'a"}\\b' } });
    const line = compileAccessLogJson("%(a)s %(h)s")({ ...bareEntry(), request });
    expect(line.split("\n")).toHaveLength(1);
    expect(JSON.parse(line)).toMatchObject({ user_agent: 'a"}\\b', remote_addr: null });
  });

  it("refuses an unknown atom as the text format does", () => {
    expect(() => compileAccessLogJson("%(z)s")).toThrow("unknown atom %(z)s");
  });
});
