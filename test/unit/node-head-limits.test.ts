import { describe, expect, it } from "vitest";
import { classifyClientError } from "../../adapters/node/client-error.ts";
import { nodeEdgeOptions } from "../../adapters/node/edge-options.ts";
import { checkHead, forbiddenTrailer, MAX_HEAD_BYTES, maxHeaderSizeFor, maxHeadersCountFor, type ParsedHead } from "../../adapters/node/head-limits.ts";
import { describeRequest, escapeLogText } from "../../adapters/node/log-text.ts";
import { DEFAULTS } from "../../src/core/config.ts";
import { buildHttpEdge } from "../../src/core/worker-spec.ts";

const LIMITS = { limitRequestLine: 4094, limitRequestFields: 100, limitRequestFieldSize: 8190 };

function head(overrides: Partial<ParsedHead> = {}): ParsedHead {
  return {
    method: "GET",
    url: "/",
    httpVersionMajor: 1,
    httpVersionMinor: 1,
    rawHeaders: ["Host", "a"],
    headers: { host: "a" },
    ...overrides,
  };
}

const manyFields = (count: number) => Array.from({ length: count }, (_, i) => [`X-${i}`, "v"]).flat();

describe("checkHead", () => {
  it("accepts a request at every limit", () => {
    expect(checkHead(head({ url: `/${"a".repeat(4094 - 14)}` }), LIMITS)).toBeUndefined();
    expect(checkHead(head({ rawHeaders: ["Host", "a", ...manyFields(99)] }), LIMITS)).toBeUndefined();
    expect(checkHead(head({ rawHeaders: ["Host", "a", "X-Big", "v".repeat(8190 - 7)] }), LIMITS)).toBeUndefined();
    expect(checkHead(head({ httpVersionMinor: 0 }), LIMITS)).toBeUndefined();
  });

  it("answers 414 to a request line one byte over the limit, counting the method, spaces and version", () => {
    expect(checkHead(head({ url: `/${"a".repeat(4094 - 13)}` }), LIMITS)).toEqual({
      status: 414,
      reason: "request line is too large (4095 > 4094 bytes)",
    });
  });

  it("answers 431 to one field more than the limit, as Node's truncated rawHeaders still shows", () => {
    expect(checkHead(head({ rawHeaders: ["Host", "a", ...manyFields(100)] }), LIMITS)).toEqual({
      status: 431,
      reason: "too many header fields (more than 100)",
    });
  });

  it("answers 431 to one field whose name, colon, space and value are over the limit", () => {
    expect(checkHead(head({ rawHeaders: ["Host", "a", "X-Big", "v".repeat(8190 - 6)] }), LIMITS)).toEqual({
      status: 431,
      reason: "header field X-Big is too large (8191 > 8190 bytes)",
    });
  });

  it("applies no limit that is 0", () => {
    const huge = head({ url: `/${"a".repeat(100_000)}`, rawHeaders: ["Host", "a", ...manyFields(5000), "X-Big", "v".repeat(100_000)] });
    expect(checkHead(huge, { limitRequestLine: 0, limitRequestFields: 0, limitRequestFieldSize: 0 })).toBeUndefined();
  });

  it("answers 400 to a missing Host and to a request line without a version, 505 to other versions", () => {
    expect(checkHead(head({ headers: {} }), LIMITS)).toEqual({ status: 400, reason: "no Host header" });
    expect(checkHead(head({ headers: {}, httpVersionMinor: 0 }), LIMITS)?.status).toBe(400);
    expect(checkHead(head({ httpVersionMajor: 0, httpVersionMinor: 9 }), LIMITS)).toEqual({
      status: 400,
      reason: "request line has no HTTP version",
    });
    expect(checkHead(head({ httpVersionMajor: 2, httpVersionMinor: 0 }), LIMITS)).toEqual({
      status: 505,
      reason: "HTTP version 2.0 is not supported",
    });
  });
});

describe("maxHeaderSizeFor", () => {
  it("leaves room for the longest head the limits allow, so that they decide and not Node", () => {
    expect(maxHeaderSizeFor(LIMITS)).toBe(4094 + 2 + 100 * (8190 + 2) + 2);
    expect(maxHeaderSizeFor({ limitRequestLine: 100, limitRequestFields: 2, limitRequestFieldSize: 100 })).toBe(308);
  });

  it("caps the bound at MAX_HEAD_BYTES, which also stands for any unlimited limit", () => {
    expect(maxHeaderSizeFor({ ...LIMITS, limitRequestFields: 1000 })).toBe(MAX_HEAD_BYTES);
    expect(maxHeaderSizeFor({ ...LIMITS, limitRequestLine: 0 })).toBe(MAX_HEAD_BYTES);
  });
});

describe("maxHeadersCountFor", () => {
  it("keeps one field more than the limit, and every field when there is none", () => {
    expect(maxHeadersCountFor(LIMITS)).toBe(101);
    expect(maxHeadersCountFor({ ...LIMITS, limitRequestFields: 0 })).toBe(0);
  });
});

describe("forbiddenTrailer", () => {
  it("finds Host, Content-Length and Transfer-Encoding in a trailer, whatever their case", () => {
    expect(forbiddenTrailer(["X-Checksum", "1", "HOST", "evil"])).toBe("host");
    expect(forbiddenTrailer(["content-length", "3"])).toBe("content-length");
    expect(forbiddenTrailer(["X-Checksum", "1"])).toBeUndefined();
  });
});

describe("nodeEdgeOptions", () => {
  it("sets Node's bounds from the edge: the head timeout checked every second, no total request timeout", () => {
    expect(nodeEdgeOptions(buildHttpEdge(DEFAULTS), 5_000)).toEqual({
      maxHeaderSize: 823_298,
      maxHeadersCount: 101,
      headersTimeout: 10_000,
      requestTimeout: 0,
      connectionsCheckingInterval: 1_000,
      keepAliveTimeout: 5_000,
      requireHostHeader: false,
    });
  });

  it("checks twice per head bound when it is shorter than two seconds", () => {
    const edge = buildHttpEdge(DEFAULTS);
    expect(nodeEdgeOptions({ ...edge, headersTimeoutMs: 1_000 }, 5_000).connectionsCheckingInterval).toBe(500);
    expect(nodeEdgeOptions({ ...edge, headersTimeoutMs: 50 }, 5_000).connectionsCheckingInterval).toBe(100);
    expect(nodeEdgeOptions({ ...edge, headersTimeoutMs: 0 }, 5_000).headersTimeout).toBe(0);
  });
});

describe("classifyClientError", () => {
  const parseError = (code: string, reason: string) => Object.assign(new Error(`Parse Error: ${reason}`), { code, reason });

  it("answers 400 to a parse error, 431 to a head overflow, 408 to a head timeout", () => {
    expect(classifyClientError(parseError("HPE_INVALID_METHOD", "Invalid method encountered"))).toEqual({
      status: 400,
      reason: "Invalid method encountered (HPE_INVALID_METHOD)",
    });
    expect(classifyClientError(parseError("HPE_HEADER_OVERFLOW", "Header overflow")).status).toBe(431);
    expect(classifyClientError(Object.assign(new Error("Request timeout"), { code: "ERR_HTTP_REQUEST_TIMEOUT" }), 10_000)).toEqual({
      status: 408,
      reason: "request head not received within 10 s",
    });
  });

  it("closes without a word on a socket error, which is no request to answer", () => {
    expect(classifyClientError(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))).toEqual({ status: null, reason: null });
    expect(classifyClientError(new Error("stream broke"))).toEqual({ status: null, reason: null });
  });
});

describe("escapeLogText", () => {
  it("escapes newlines and other control characters so a client cannot forge log lines", () => {
    expect(escapeLogText("/a\nINFO forged\r\x00\x7f/b")).toBe("/a\\nINFO forged\\x0d\\x00\\x7f/b");
    expect(describeRequest({ method: "GET", url: "/x\ny" })).toBe("GET /x\\ny");
  });
});
