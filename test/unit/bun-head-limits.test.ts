import { describe, expect, it } from "vitest";
import { bunMaxHeaderSize, bunMaxRequestBodySize, checkUrl, MAX_HEAD_BYTES, urlCheckThreshold } from "../../adapters/bun/head-limits.ts";
import { bunIdleTimeout } from "../../adapters/bun/idle-timeout.ts";

const LIMITS = { limitRequestLine: 4094, limitRequestFields: 100, limitRequestFieldSize: 8190 };

/** The URL Bun builds for `host` and `target`. */
const urlOf = (host: string, target: string) => `http://${host}${target}`;

describe("bunMaxHeaderSize", () => {
  it("holds exactly the shortest head with one field at the limit, with Gunicorn's defaults", () => {
    const head = `GET / HTTP/1.1\r\nHost: a\r\nX: ${"v".repeat(8190 - 3)}\r\n\r\n`;
    expect(bunMaxHeaderSize(LIMITS)).toBe(head.length);
    expect(bunMaxHeaderSize(LIMITS)).toBe(8219);
  });

  it("holds the longest request line when that is the larger", () => {
    const limits = { ...LIMITS, limitRequestLine: 20_000 };
    expect(bunMaxHeaderSize(limits)).toBe(20_000 + "\r\nHost: a\r\n\r\n".length);
  });

  it("stands at the cap for a limit of 0 and never goes over it", () => {
    expect(bunMaxHeaderSize({ ...LIMITS, limitRequestFieldSize: 0 })).toBe(MAX_HEAD_BYTES);
    expect(bunMaxHeaderSize({ ...LIMITS, limitRequestLine: 0 })).toBe(MAX_HEAD_BYTES);
    expect(bunMaxHeaderSize({ ...LIMITS, limitRequestFieldSize: 10 * MAX_HEAD_BYTES })).toBe(MAX_HEAD_BYTES);
  });
});

describe("checkUrl", () => {
  it("accepts a request line at the limit, counting the method, the spaces and the version", () => {
    const target = `/${"a".repeat(4094 - "GET  HTTP/1.1".length - 1)}`;
    expect(checkUrl(urlOf("127.0.0.1:8000", target), "GET", LIMITS)).toBeUndefined();
    expect(checkUrl(urlOf("127.0.0.1:8000", `${target}a`), "GET", LIMITS)).toEqual({
      status: 414,
      reason: "request line is too large (4095 > 4094 bytes)",
    });
  });

  it("answers 431 to a Host field over the field limit", () => {
    const host = "h".repeat(8190 - "Host: ".length);
    expect(checkUrl(urlOf(host, "/"), "GET", LIMITS)).toBeUndefined();
    expect(checkUrl(urlOf(`${host}h`, "/"), "GET", LIMITS)).toEqual({
      status: 431,
      reason: "header field Host is too large (8191 > 8190 bytes)",
    });
  });

  it("checks nothing that a limit of 0 leaves unlimited", () => {
    const limits = { limitRequestLine: 0, limitRequestFields: 0, limitRequestFieldSize: 0 };
    expect(checkUrl(urlOf("h".repeat(20_000), `/${"a".repeat(20_000)}`), "GET", limits)).toBeUndefined();
  });
});

describe("urlCheckThreshold", () => {
  it("lets no URL that breaks a limit pass unchecked, whatever the method", () => {
    const threshold = urlCheckThreshold(LIMITS);
    // The longest URL left unchecked, with the longest method and a one-character host.
    const url = urlOf("a", `/${"a".repeat(threshold - "http://a/".length)}`);
    expect(url.length).toBe(threshold);
    expect(checkUrl(url, "UNSUBSCRIBE", LIMITS)).toBeUndefined();
    expect(checkUrl(`${url}a`, "UNSUBSCRIBE", LIMITS)?.status).toBe(414);
    // The same for the Host field, with the field limit the lower one.
    const fieldFirst = { ...LIMITS, limitRequestLine: 20_000, limitRequestFieldSize: 100 };
    const host = "h".repeat(urlCheckThreshold(fieldFirst) - "http:///".length);
    expect(checkUrl(urlOf(host, "/"), "GET", fieldFirst)).toBeUndefined();
    expect(checkUrl(urlOf(`${host}h`, "/"), "GET", fieldFirst)?.status).toBe(431);
  });

  it("is infinite when both limits are 0", () => {
    expect(urlCheckThreshold({ limitRequestLine: 0, limitRequestFields: 0, limitRequestFieldSize: 0 })).toBe(Infinity);
  });
});

describe("bunMaxRequestBodySize", () => {
  it("passes a limit through and makes none the largest Content-Length Bun takes", () => {
    expect(bunMaxRequestBodySize(1000)).toBe(1000);
    expect(bunMaxRequestBodySize(0)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe("bunIdleTimeout", () => {
  // uSockets: N seconds are ceil(N / 4) ticks of 4 s, the first of which may come at once.
  const closesBetween = (seconds: number) => [(Math.ceil(seconds / 4) - 1) * 4, Math.ceil(seconds / 4) * 4];

  it("never closes an idle connection sooner than the keep-alive, and at most 4 s after it is rounded up to 4 s", () => {
    for (const keepaliveS of [0.5, 1, 2, 4, 5, 8, 9, 60, 251]) {
      const [earliest, latest] = closesBetween(bunIdleTimeout(keepaliveS * 1000));
      expect(earliest).toBeGreaterThanOrEqual(keepaliveS);
      expect(latest).toBe(Math.ceil(keepaliveS / 4) * 4 + 4);
    }
    expect(bunIdleTimeout(2000)).toBe(5);
    expect(bunIdleTimeout(5000)).toBe(9);
  });

  it("caps at Bun's 255 s and keeps 0 for none", () => {
    expect(bunIdleTimeout(1_000_000)).toBe(255);
    expect(bunIdleTimeout(0)).toBe(0);
  });
});
