/**
 * The HTTP edge's bad-request catalogue: each case's bytes and the answer it must get, per runtime
 * where one answers otherwise (and why). Run by http-edge.test.ts; the README's "The HTTP edge" table
 * is this one in prose.
 *
 * @module
 */

import { expect } from "vitest";
import { runtimeFamily } from "../support/test-runtimes.ts";
import { dribble, type Piece, type RawExchange } from "./raw-http.ts";

/** Small bounds, so that the cases that wait for them keep the file fast. */
export const HEADERS_TIMEOUT_MS = 2_000;
export const BODY_TIMEOUT_MS = 2_000;
export const KEEPALIVE_MS = 2_000;
// Longer than the body timeout: a stalled body must meet the body timeout, not this one.
export const REQUEST_TIMEOUT_MS = 3_000;
/** The flags of the catalogue's masters: two workers, and the bounds above. */
export const EDGE_FLAGS = [
  "-w", "2",
  "--headers-timeout", String(HEADERS_TIMEOUT_MS / 1000),
  "--body-timeout", String(BODY_TIMEOUT_MS / 1000),
  "--keepalive", String(KEEPALIVE_MS / 1000),
  "--request-timeout", String(REQUEST_TIMEOUT_MS / 1000),
  "--limit-request-body", "1k",
];
/** An answer that needs no timer comes within this, on a shared and loaded 2-core machine. */
const PROMPT_MS = 3_000;
/** How late past its bound a timer may close a connection (Node checks heads every second). */
const TIMER_SLACK_MS = 2_500;
/** Bun closes a connection whose head is incomplete after a fixed ~10 s, checked every ~4 s: 12 s measured. */
const BUN_HEAD_BOUND_MS = 15_000;

type Runtime = "node" | "bun" | "deno";

/**
 * The longest an idle keep-alive connection may stay open on `runtime`. Bun checks idle connections
 * on uSockets' 4 s tick and mgr rounds `--keepalive` up so that none closes sooner than asked: the
 * close comes between keepalive rounded up to 4 s and 4 s later (adapters/bun/idle-timeout.ts).
 */
export function maxIdleMs(runtime: string): number {
  if (runtime !== "bun") return KEEPALIVE_MS + TIMER_SLACK_MS;
  const tickMs = 4_000;
  return Math.ceil(KEEPALIVE_MS / tickMs) * tickMs + tickMs + 1_500;
}

/** Checks that the connection closed after an idle time between `--keepalive` and `maxMs`. */
function closedWhenIdle(maxMs: number): (seen: RawExchange) => void {
  return (seen) => {
    const idleMs = seen.endMs - seen.responses[0]!.atMs;
    expect(idleMs, "idle time before the close").toBeGreaterThanOrEqual(KEEPALIVE_MS - 200);
    expect(idleMs, "idle time before the close").toBeLessThanOrEqual(maxMs);
  };
}

/** What a case must see. */
export interface Outcome {
  /** The status of the first answer; `none`: the connection ends without one; `any`: not asserted. */
  status: number | "none" | "any";
  /** The server ends the connection (FIN or RST) after its answer, or instead of one. */
  closes: boolean;
  /** The answer (or the end, when none is expected) comes this long after connect at the earliest… */
  notBeforeMs?: number;
  /** …and at the latest. */
  byMs: number;
  body?: string | RegExp;
  /** The answer carries `Connection: close`. */
  saysClose?: boolean;
  /** How many error-log lines at ERROR name this case (by its `case=` tag); 0 unless said. */
  errorLines?: number;
  /** A pattern the ERROR line matches. */
  errorLine?: RegExp;
  /** How many complete answers to read before the client stops, when the server keeps the connection. */
  responses?: number;
  /** Anything more to check on what the connection saw. */
  check?: (seen: RawExchange) => void;
}

/** One request (or connection) of the catalogue. */
export interface EdgeCase {
  id: string;
  title: string;
  /** `untrusting`: sent to the master that trusts no local proxy (`--forwarded-allow-ips 10.9.9.9`). */
  master?: "untrusting";
  send: Piece[];
  expect: Outcome;
  /** Where a runtime answers otherwise, documented in the README; each with a comment saying why. */
  on?: Partial<Record<Runtime, Partial<Outcome>>>;
}

/** A request head and body, every line ending in CRLF; `Host` first unless `host` is false. */
export function request(
  target: string,
  { method = "GET", fields = [] as string[], body = "", version = "HTTP/1.1", host = true } = {},
): string {
  const head = [`${method} ${target} ${version}`, ...(host ? ["Host: edge.test"] : []), ...fields];
  return `${head.join("\r\n")}\r\n\r\n${body}`;
}

/** `body` as one chunk per `size` bytes, and the last chunk. */
function chunked(body: string, size: number): string {
  let out = "";
  for (let i = 0; i < body.length; i += size) {
    const part = body.slice(i, i + size);
    out += `${part.length.toString(16)}\r\n${part}\r\n`;
  }
  return `${out}0\r\n\r\n`;
}

const manyFields = (count: number, size = 8) =>
  Array.from({ length: count }, (_, i) => `X-Field-${i}: ${"v".repeat(size)}`);

const CLIENT_AS_PEER = JSON.stringify({ address: "127.0.0.1", scheme: "http" });
const nonResponse = (mode: "sync" | "async", kind: "nothing" | "text" | "plain", says: RegExp): EdgeCase => ({
  id: `${mode}-${kind}`,
  title: `a handler that returns ${kind === "nothing" ? "undefined" : kind === "text" ? "a string" : "a plain object"} ` +
    `${mode === "sync" ? "synchronously" : "through a promise"} (500, one ERROR line)`,
  send: [request(`/result/${mode}/${kind}?case=${mode}-${kind}`)],
  expect: {
    status: 500,
    closes: false,
    byMs: PROMPT_MS,
    errorLines: 1,
    errorLine: new RegExp(String.raw`GET \S*/result/${mode}/${kind}\?case=${mode}-${kind}\b.*${says.source}`, "i"),
  },
});

/**
 * The bad-request catalogue. Every case runs on its own connection, all at once, against one master
 * (two for the forwarded headers), with `EDGE_FLAGS`.
 */
export const CASES: EdgeCase[] = [
  {
    id: "ok-get",
    title: "a plain GET (the control)",
    send: [request("/?case=ok-get")],
    expect: { status: 200, closes: false, byMs: PROMPT_MS, body: "ok" },
  },
  {
    id: "long-line",
    title: "a 5 KB request line, over --limit-request-line 4094 (414)",
    send: [request(`/?case=long-line&pad=${"a".repeat(5_000)}`)],
    expect: { status: 414, closes: true, byMs: PROMPT_MS },
  },
  {
    id: "many-fields",
    title: "120 header fields, over --limit-request-fields 100 (431; Bun and Deno 200)",
    send: [request("/?case=many-fields", { fields: manyFields(120) })],
    expect: { status: 431, closes: true, byMs: PROMPT_MS },
    // Counting fields on Bun and Deno means building the request's Headers (0.4-2 µs, a tenth or
    // more of a hello-world request): over the edge's budget, so only their own fixed caps count
    // fields, 198 on Bun and 128 on Deno (adapters/bun/head-limits.ts, adapters/deno/head-checks.ts).
    on: { bun: { status: 200, closes: false, body: "ok" }, deno: { status: 200, closes: false, body: "ok" } },
  },
  {
    id: "far-too-many-fields",
    title: "300 header fields, over Bun's and Deno's own caps too (431; Deno 400)",
    send: [request("/?case=far-too-many-fields", { fields: manyFields(300) })],
    expect: { status: 431, closes: true, byMs: PROMPT_MS },
    // Deno's own parser refuses more than 128 fields with 400 before mgr sees the request.
    on: { deno: { status: 400 } },
  },
  {
    id: "huge-field",
    title: "a 9 KB header field, over --limit-request-field-size 8190 (431; Deno 200)",
    send: [request("/?case=huge-field", { fields: [`X-Huge: ${"h".repeat(9_000)}`] })],
    expect: { status: 431, closes: true, byMs: PROMPT_MS },
    // Measuring fields on Deno means building the request's Headers (over the edge's budget): one
    // field is bounded only by Deno's fixed 64 KiB cap on the whole head. Bun's whole-head bound is
    // set so that no head can carry a field over the limit.
    on: { deno: { status: 200, closes: false, body: "ok" } },
  },
  {
    id: "big-head",
    title: "a 70 KiB head of 10 fields, each within the limits (200; Bun 431; Deno 400)",
    send: [request("/?case=big-head", { fields: manyFields(10, 7_000) })],
    expect: { status: 200, closes: false, byMs: PROMPT_MS, body: "ok" },
    on: {
      // Bun's one byte bound is on the whole head (--max-http-header-size), which mgr sets just
      // large enough for one field at --limit-request-field-size: 8,219 bytes with the defaults.
      bun: { status: 431, closes: true, body: undefined },
      // Deno's head cap is a fixed 64 KiB that no flag changes; past it Deno answers 400 itself.
      deno: { status: 400, closes: true, body: undefined },
    },
  },
  {
    id: "body-ok-length",
    title: "a 500-byte body with Content-Length, within --limit-request-body (200)",
    send: [request("/body?case=body-ok-length", { method: "POST", fields: ["Content-Length: 500"], body: "b".repeat(500) })],
    expect: { status: 200, closes: false, byMs: PROMPT_MS, body: "len=500" },
  },
  {
    id: "body-ok-chunked",
    title: "a 600-byte chunked body, within --limit-request-body (200)",
    send: [request("/body?case=body-ok-chunked", { method: "POST", fields: ["Transfer-Encoding: chunked"], body: chunked("c".repeat(600), 200) })],
    expect: { status: 200, closes: false, byMs: PROMPT_MS, body: "len=600" },
  },
  {
    id: "body-over-length",
    title: "Content-Length 5000, over --limit-request-body 1k (413 before the body is sent)",
    // Only the head: the answer must not wait for the body.
    send: [request("/body?case=body-over-length", { method: "POST", fields: ["Content-Length: 5000"] })],
    expect: { status: 413, closes: true, byMs: PROMPT_MS, saysClose: true },
  },
  {
    id: "body-over-chunked",
    title: "a chunked body growing to 2000 bytes, over --limit-request-body 1k (413)",
    send: [request("/body?case=body-over-chunked", { method: "POST", fields: ["Transfer-Encoding: chunked"], body: chunked("d".repeat(2_000), 500) })],
    expect: { status: 413, closes: true, byMs: PROMPT_MS },
  },
  {
    id: "body-stall",
    title: "a body that stalls after 10 of 100 bytes while the app reads it (408 after --body-timeout)",
    send: [request("/body?case=body-stall", { method: "POST", fields: ["Content-Length: 100"], body: "s".repeat(10) })],
    expect: { status: 408, closes: true, notBeforeMs: BODY_TIMEOUT_MS - 200, byMs: BODY_TIMEOUT_MS + TIMER_SLACK_MS },
  },
  {
    id: "vanish",
    title: "a client that hangs up mid-body (a client fault: no ERROR line)",
    send: [
      request("/body?case=vanish", { method: "POST", fields: ["Content-Length: 100"], body: "v".repeat(10) }),
      { pauseMs: 300 },
      { hangUp: true },
    ],
    expect: { status: "any", closes: true, byMs: PROMPT_MS },
  },
  {
    id: "slowloris",
    title: "a head sent one byte a second (408 after --headers-timeout; Bun closes at ~10 s)",
    send: dribble(`GET /?case=slowloris HTTP/1.1\r\nHost: edge.test\r\nX-Slow: ${"z".repeat(40)}\r\n\r\n`, 1_000),
    expect: { status: 408, closes: true, notBeforeMs: HEADERS_TIMEOUT_MS - 200, byMs: HEADERS_TIMEOUT_MS + TIMER_SLACK_MS },
    on: {
      // Bun closes an incomplete head after a fixed ~10 s (uWS), whatever it is told, and says
      // nothing; Bun.serve shows no connection before its request, so mgr cannot close it sooner.
      bun: { status: "none", notBeforeMs: 8_000, byMs: BUN_HEAD_BOUND_MS },
    },
  },
  {
    id: "silent",
    title: "a connection that never sends a byte (408 after --headers-timeout; Bun closes at ~10 s)",
    send: [],
    expect: { status: 408, closes: true, notBeforeMs: HEADERS_TIMEOUT_MS - 200, byMs: HEADERS_TIMEOUT_MS + TIMER_SLACK_MS },
    // As for the slowloris head.
    on: { bun: { status: "none", notBeforeMs: 8_000, byMs: BUN_HEAD_BOUND_MS } },
  },
  {
    id: "idle-keepalive",
    title: "a keep-alive connection left idle after its answer (closed after --keepalive)",
    send: [request("/?case=idle-keepalive")],
    // The answer comes at once; `byMs` bounds the wait for the close.
    expect: { status: 200, closes: true, byMs: maxIdleMs("node"), check: closedWhenIdle(maxIdleMs("node")) },
    // Bun closes on its 4 s tick, never sooner than --keepalive (see maxIdleMs).
    on: { bun: { byMs: maxIdleMs("bun"), check: closedWhenIdle(maxIdleMs("bun")) } },
  },
  {
    id: "bad-chunk",
    title: "invalid chunked encoding while the app reads the body (400, or closed; no ERROR line)",
    send: [request("/body?case=bad-chunk", { method: "POST", fields: ["Transfer-Encoding: chunked"], body: "zz\r\nabc\r\n0\r\n\r\n" })],
    expect: { status: 400, closes: true, byMs: PROMPT_MS },
    // Deno's parser drops the connection without an answer; the app's read fails.
    on: { deno: { status: "none" } },
  },
  {
    id: "cl-te",
    title: "Content-Length and Transfer-Encoding: chunked together, a smuggling attempt (400)",
    send: [request("/body?case=cl-te", { method: "POST", fields: ["Content-Length: 5", "Transfer-Encoding: chunked"], body: "0\r\n\r\n" })],
    expect: { status: 400, closes: true, byMs: PROMPT_MS },
  },
  {
    id: "dup-cl",
    title: "two differing Content-Length fields (400)",
    send: [request("/body?case=dup-cl", { method: "POST", fields: ["Content-Length: 3", "Content-Length: 5"], body: "abcde" })],
    expect: { status: 400, closes: true, byMs: PROMPT_MS },
  },
  {
    id: "garbage",
    title: "garbage bytes: a TLS ClientHello on the plain port (400)",
    send: [Buffer.from("16030100a5010000a103035f2c4a1e9b8d7c6f5e4d3c2b1a09f8e7d6c5b4a3928170f0e0d0c0b0a09080700000020c02bc02f", "hex")],
    expect: { status: 400, closes: true, byMs: PROMPT_MS },
  },
  {
    id: "bad-method",
    title: "an invalid method token G(T (400)",
    send: [request("/?case=bad-method", { method: "G(T" })],
    expect: { status: 400, closes: true, byMs: PROMPT_MS },
  },
  {
    id: "no-host-11",
    title: "HTTP/1.1 without Host (400)",
    send: [request("/?case=no-host-11", { host: false })],
    expect: { status: 400, closes: true, byMs: PROMPT_MS },
  },
  {
    id: "no-host-10",
    title: "HTTP/1.0 without Host (400)",
    send: [request("/?case=no-host-10", { host: false, version: "HTTP/1.0" })],
    expect: { status: 400, closes: true, byMs: PROMPT_MS },
  },
  {
    id: "pipelined",
    title: "100 pipelined requests on one connection (100 answers, in order)",
    send: [
      Array.from({ length: 100 }, (_, i) =>
        request(`/echo?case=pipelined&i=${i}`, { fields: i === 99 ? ["Connection: close"] : [] })).join(""),
    ],
    expect: {
      status: 200,
      closes: true,
      byMs: PROMPT_MS,
      check: (seen) => {
        expect(seen.responses.map((r) => `${r.status} ${r.body.toString()}`))
          .toEqual(Array.from({ length: 100 }, (_, i) => `200 ${i}`));
      },
    },
  },
  nonResponse("sync", "nothing", /undefined/),
  nonResponse("sync", "text", /string/),
  nonResponse("sync", "plain", /object/),
  nonResponse("async", "nothing", /undefined/),
  nonResponse("async", "text", /string/),
  nonResponse("async", "plain", /object/),
  {
    id: "throw",
    title: "a handler that throws (500, one ERROR line)",
    send: [request("/throw?case=throw")],
    expect: { status: 500, closes: false, byMs: PROMPT_MS, errorLines: 1, errorLine: /GET \S*\/throw\?case=throw\b.*boom/ },
  },
  {
    id: "reject",
    title: "a handler whose promise rejects (500, one ERROR line)",
    send: [request("/reject?case=reject")],
    expect: { status: 500, closes: false, byMs: PROMPT_MS, errorLines: 1, errorLine: /GET \S*\/reject\?case=reject\b.*boom/ },
  },
  {
    id: "never",
    title: "a handler that never answers (503 after --request-timeout, one ERROR line with its age)",
    send: [request("/never?case=never")],
    expect: {
      status: 503,
      closes: false,
      notBeforeMs: REQUEST_TIMEOUT_MS - 200,
      byMs: REQUEST_TIMEOUT_MS + TIMER_SLACK_MS,
      errorLines: 1,
      errorLine: /GET \S*\/never\?case=never\b.*\d\s*m?s\b/,
    },
  },
  {
    id: "crlf-header",
    title: "a response header with CR/LF in its value (500)",
    send: [request("/crlf-header?case=crlf-header")],
    expect: { status: 500, closes: false, byMs: PROMPT_MS, errorLines: 1 },
  },
  {
    id: "xff-untrusted",
    title: "X-Forwarded-For/-Proto from a peer not in --forwarded-allow-ips (ignored)",
    master: "untrusting",
    send: [request("/client?case=xff-untrusted", { fields: ["X-Forwarded-For: 203.0.113.7", "X-Forwarded-Proto: https"] })],
    expect: { status: 200, closes: false, byMs: PROMPT_MS, body: CLIENT_AS_PEER },
  },
  {
    id: "forwarded-untrusted",
    title: "Forwarded from a peer not in --forwarded-allow-ips (ignored)",
    master: "untrusting",
    send: [request("/client?case=forwarded-untrusted", { fields: ["Forwarded: for=203.0.113.9;proto=https"] })],
    expect: { status: 200, closes: false, byMs: PROMPT_MS, body: CLIENT_AS_PEER },
  },
  {
    id: "xff-trusted",
    title: "X-Forwarded-For/-Proto from a trusted peer, 127.0.0.1 by default (believed)",
    send: [request("/client?case=xff-trusted", { fields: ["X-Forwarded-For: 203.0.113.7", "X-Forwarded-Proto: https"] })],
    expect: { status: 200, closes: false, byMs: PROMPT_MS, body: JSON.stringify({ address: "203.0.113.7", scheme: "https" }) },
  },
  {
    id: "forwarded-trusted",
    title: "Forwarded from a trusted peer (believed)",
    send: [request("/client?case=forwarded-trusted", { fields: ["Forwarded: for=203.0.113.9;proto=https"] })],
    expect: { status: 200, closes: false, byMs: PROMPT_MS, body: JSON.stringify({ address: "203.0.113.9", scheme: "https" }) },
  },
];

/** The outcome `edgeCase` must see on `runtime`: its own, with the runtime's differences over it. */
export function outcomeOn(edgeCase: EdgeCase, runtime: string): Outcome {
  return { ...edgeCase.expect, ...edgeCase.on?.[runtimeFamily(runtime) as Runtime] };
}
