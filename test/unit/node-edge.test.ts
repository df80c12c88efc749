/**
 * The Node server's HTTP edge, in process: `serveNode` on a real port of 127.0.0.1, spoken to with
 * raw sockets so that what goes over the wire (status lines, closes, bytes after a failure) is seen
 * as it is. Timings use real time (Node's own timers are under test), with bounds loose enough for a
 * loaded machine.
 */

import { connect } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { serveNode } from "../../adapters/node/serve.ts";
import { DEFAULTS } from "../../src/core/config.ts";
import type { HttpEdge } from "../../src/core/protocol.ts";
import { buildHttpEdge } from "../../src/core/worker-spec.ts";
import type { FetchHandler } from "../../src/runtime/app.ts";
import { LongLivedConnections } from "../../src/runtime/long-lived.ts";
import type { WorkerServer } from "../../src/runtime/worker-host.ts";
import { freePort, waitFor } from "../behaviour/harness.ts";

interface Started {
  port: number;
  clientErrors: string[];
  appErrors: string[];
}

const servers: WorkerServer[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
  printed.length = 0;
});

// What reaches console.error, recorded beneath the filter serveNode puts over it (once per process).
const printed: unknown[][] = [];
const consoleError = console.error;
beforeAll(() => {
  console.error = (...args: unknown[]) => void printed.push(args);
});
afterAll(() => {
  console.error = consoleError;
});

async function start(handler: FetchHandler, edge: Partial<HttpEdge> = {}, keepaliveMs = 5_000): Promise<Started> {
  const port = await freePort();
  const started: Started = { port, clientErrors: [], appErrors: [] };
  servers.push(
    await serveNode(handler, {
      bind: [{ host: "127.0.0.1", port }],
      backlog: 64,
      keepaliveMs,
      edge: { ...buildHttpEdge(DEFAULTS), ...edge },
      logClientError: (message) => started.clientErrors.push(message),
      logAppError: (message) => started.appErrors.push(message),
      longLived: new LongLivedConnections(),
    }),
  );
  return started;
}

const hello: FetchHandler = () => new Response("hello");

interface Exchange {
  /** Everything received, as latin1. */
  data: string;
  /** The status of each response received, in order. */
  statuses: number[];
  /** True if the server closed the connection (FIN or reset) before the deadline. */
  closed: boolean;
  /** Milliseconds from connect to close (or to the deadline). */
  ms: number;
}

/**
 * Connects, writes `chunks` (`gapMs` apart), and collects what comes back until the server closes the
 * connection, `until(data)` holds, or `deadlineMs` passes.
 */
function exchange(
  port: number,
  chunks: (string | Buffer)[],
  { gapMs = 0, deadlineMs = 5_000, until, endWrite = false }: {
    gapMs?: number;
    deadlineMs?: number;
    until?: (data: string) => boolean;
    endWrite?: boolean;
  } = {},
): Promise<Exchange> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, "127.0.0.1");
    let data = "";
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const statuses = [...data.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]));
      resolve({ data, statuses, closed, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), deadlineMs);
    socket.on("data", (bytes) => {
      data += bytes.toString("latin1");
      if (until?.(data)) finish(false);
    });
    socket.on("close", () => finish(true));
    socket.on("error", () => finish(true));
    void (async () => {
      for (const chunk of chunks) {
        if (settled || socket.destroyed) return;
        socket.write(chunk);
        if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
      }
      if (endWrite && !socket.destroyed) socket.end();
    })();
  });
}

const get = (target = "/", fields = "Host: a\r\n") => `GET ${target} HTTP/1.1\r\n${fields}Connection: close\r\n\r\n`;
const fields = (count: number) => Array.from({ length: count }, (_, i) => `X-F${i}: v\r\n`).join("");

describe("serveNode: request head limits", () => {
  it("answers 414 and closes when the request line is over limitRequestLine, 200 at the limit", async () => {
    const { port, clientErrors } = await start(hello);
    // `GET ` + target + ` HTTP/1.1` = 4094 bytes.
    const atLimit = `/${"a".repeat(4094 - 13 - 1)}`;
    expect((await exchange(port, [get(atLimit)])).statuses).toEqual([200]);
    const over = await exchange(port, [get(`${atLimit}a`)]);
    expect(over).toMatchObject({ statuses: [414], closed: true });
    expect(over.data).toMatch(/\r\nConnection: close\r\n/i);
    expect(clientErrors).toEqual(["Invalid request from 127.0.0.1: request line is too large (4095 > 4094 bytes); answered 414"]);
  });

  it("answers 431 and closes past limitRequestFields fields, and keeps every field up to it", async () => {
    let seen = 0;
    const { port, clientErrors } = await start((request) => {
      seen = [...request.headers].length;
      return new Response("ok");
    });
    // Host and Connection count: 98 more make 100.
    expect((await exchange(port, [get("/", `Host: a\r\n${fields(98)}`)])).statuses).toEqual([200]);
    expect(seen).toBe(100);
    expect(await exchange(port, [get("/", `Host: a\r\n${fields(99)}`)])).toMatchObject({ statuses: [431], closed: true });
    // Far past the limit, where Node would cut the list silently.
    expect(await exchange(port, [get("/", `Host: a\r\n${fields(3000)}`)])).toMatchObject({ statuses: [431], closed: true });
    expect(clientErrors[0]).toBe("Invalid request from 127.0.0.1: too many header fields (more than 100); answered 431");
  });

  it("answers 431 and closes when one field is over limitRequestFieldSize, 200 at the limit", async () => {
    const { port, clientErrors } = await start(hello);
    // `X-Big: ` + value = 8190 bytes; two of them are over Node's own 16 KiB head, not over the limit.
    const value = "v".repeat(8190 - 7);
    expect((await exchange(port, [get("/", `Host: a\r\nX-Big: ${value}\r\nX-Bag: ${value}\r\n`)])).statuses).toEqual([200]);
    expect(await exchange(port, [get("/", `Host: a\r\nX-Big: ${value}v\r\n`)])).toMatchObject({ statuses: [431], closed: true });
    expect(clientErrors).toEqual(["Invalid request from 127.0.0.1: header field X-Big is too large (8191 > 8190 bytes); answered 431"]);
  });

  it("lets Node answer 431 to a head over the whole-head bound the limits make, and logs it", async () => {
    // 100 + 2 + 2 * (100 + 2) + 2 = 308 bytes.
    const { port, clientErrors } = await start(hello, { limitRequestLine: 100, limitRequestFields: 2, limitRequestFieldSize: 100 });
    expect(await exchange(port, [get("/", `Host: a\r\nX-A: ${"v".repeat(400)}\r\n`)])).toMatchObject({ statuses: [431], closed: true });
    expect(clientErrors).toEqual([expect.stringMatching(/^Invalid request from 127\.0\.0\.1: request head is too large: .*HPE_HEADER_OVERFLOW.*; answered 431$/)]);
  });

  it("applies no limit that is 0, and keeps thousands of fields instead of cutting them", async () => {
    let seen = 0;
    const { port } = await start((request) => {
      seen = [...request.headers].length;
      return new Response("ok");
    }, { limitRequestLine: 0, limitRequestFields: 0, limitRequestFieldSize: 0 });
    const result = await exchange(port, [get(`/${"a".repeat(20_000)}`, `Host: a\r\n${fields(2000)}X-Big: ${"v".repeat(20_000)}\r\n`)]);
    expect(result.statuses).toEqual([200]);
    expect(seen).toBe(2003);
  });
});

describe("serveNode: what RFC 9112 forbids and Node's parser lets through", () => {
  it("answers 400 to an HTTP/1.1 or HTTP/1.0 request without Host, and logs it", async () => {
    const { port, clientErrors } = await start(hello);
    expect(await exchange(port, ["GET / HTTP/1.1\r\n\r\n"])).toMatchObject({ statuses: [400], closed: true });
    expect(await exchange(port, ["GET / HTTP/1.0\r\n\r\n"])).toMatchObject({ statuses: [400], closed: true });
    expect(clientErrors).toEqual([
      "Invalid request from 127.0.0.1: no Host header; answered 400",
      "Invalid request from 127.0.0.1: no Host header; answered 400",
    ]);
  });

  it("answers 400 to a request line without a version and 505 to HTTP/2.0 over HTTP/1", async () => {
    const { port } = await start(hello);
    expect(await exchange(port, ["GET /x\r\nHost: a\r\n\r\n"])).toMatchObject({ statuses: [400], closed: true });
    expect(await exchange(port, ["GET /x HTTP/2.0\r\nHost: a\r\n\r\n"])).toMatchObject({ statuses: [505], closed: true });
  });

  it("answers 400 to a Host or a target the library cannot make a URL of, and logs it", async () => {
    const { port, clientErrors } = await start(hello);
    expect(await exchange(port, [get("/", "Host: a/b\r\n")])).toMatchObject({ statuses: [400], closed: true });
    expect(await exchange(port, [get("/", "Host: a b\r\n")])).toMatchObject({ statuses: [400], closed: true });
    const asterisk = await exchange(port, ["OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"]);
    expect(asterisk).toMatchObject({ statuses: [400], closed: true });
    expect(asterisk.data).toMatch(/\r\ncontent-length: 0\r\n/i);
    expect(clientErrors).toEqual([
      "Invalid request from 127.0.0.1: invalid host header; answered 400",
      "Invalid request from 127.0.0.1: invalid url; answered 400",
      "Invalid request from 127.0.0.1: invalid url; answered 400",
    ]);
  });

  it("answers 400 and closes when a trailer carries Host", async () => {
    const { port, clientErrors } = await start(async (request) => new Response(`read ${(await request.text()).length}`));
    const chunked = (trailer: string) =>
      `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n${trailer}\r\n`;
    expect((await exchange(port, [chunked("X-Checksum: 1\r\n")], { until: (data) => data.includes("read 3") })).statuses).toEqual([200]);
    expect(await exchange(port, [chunked("Host: evil\r\n")])).toMatchObject({ statuses: [400], closed: true });
    expect(clientErrors).toEqual(["Invalid request from 127.0.0.1: host in the trailer; answered 400"]);
  });
});

describe("serveNode: Node's parse errors", () => {
  it.each([
    ["an invalid chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HPE_INVALID_CHUNK_SIZE"],
    ["Content-Length with Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "HPE_INVALID_TRANSFER_ENCODING"],
    ["two different Content-Lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabc", "HPE_UNEXPECTED_CONTENT_LENGTH"],
    ["garbage bytes", "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", "HPE_INVALID_METHOD"],
    ["a malformed request line", "GET /x HTTP/1.1 extra\r\nHost: a\r\n\r\n", "HPE_INVALID_VERSION"],
  ])("answers 400 to %s, closes, and logs one line through mgr", async (_what, request, code) => {
    // The worker loop's handler answers a failed body read itself; this one does the same.
    const { port, clientErrors, appErrors } = await start((r) =>
      r.text().then((text) => new Response(text), () => new Response(null, { status: 400 }))
    );
    expect(await exchange(port, [Buffer.from(request, "latin1")])).toMatchObject({ statuses: [400], closed: true });
    expect(clientErrors).toEqual([expect.stringMatching(new RegExp(`^Invalid request from 127\\.0\\.0\\.1: .*\\(${code}\\); answered 400$`))]);
    expect(appErrors).toEqual([]);
    expect(printed).toEqual([]);
  });

  it("logs a client that closes in the middle of a body as one line", async () => {
    const { port, clientErrors } = await start(async (r) => new Response(await r.text()));
    const result = await exchange(port, ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc"], { endWrite: true });
    expect(result.closed).toBe(true);
    await waitFor("the log line", () => clientErrors.length > 0);
    expect(clientErrors).toEqual([expect.stringMatching(/^Invalid request from 127\.0\.0\.1: client closed the connection in the middle of a request/)]);
  });
});

describe("serveNode: timeouts", () => {
  it("answers 408 and closes a silent connection and a slow head within the head bound and a second", async () => {
    const { port, clientErrors } = await start(hello, { headersTimeoutMs: 1_000 });
    const [silent, slow] = await Promise.all([
      exchange(port, []),
      exchange(port, ["GET / HTTP/1.1\r\n", "Host: a\r\n", "X-A: 1\r\n", "X-B: 1\r\n", "X-C: 1\r\n", "X-D: 1\r\n"], { gapMs: 300 }),
    ]);
    for (const result of [silent, slow]) {
      expect(result).toMatchObject({ statuses: [408], closed: true });
      expect(result.ms).toBeGreaterThanOrEqual(900);
      expect(result.ms).toBeLessThan(2_500);
    }
    expect(clientErrors).toEqual([
      "Invalid request from 127.0.0.1: request head not received within 1 s; answered 408",
      "Invalid request from 127.0.0.1: request head not received within 1 s; answered 408",
    ]);
  });

  it("closes an idle keep-alive connection after keepalive, without a 408", async () => {
    const { port } = await start(hello, { headersTimeoutMs: 500 }, 1_500);
    const result = await exchange(port, ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"]);
    expect(result).toMatchObject({ statuses: [200], closed: true });
    expect(result.ms).toBeGreaterThanOrEqual(1_400);
  });

  it("never cuts a slow handler, a stream with long gaps or a slow upload with keepalive or the head bound", async () => {
    const { port } = await start(async (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/slow") {
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        return new Response("slow done");
      }
      if (path === "/upload") return new Response(`got ${(await request.text()).length}`);
      const encoder = new TextEncoder();
      let sent = 0;
      return new Response(new ReadableStream({
        async pull(controller) {
          await new Promise((resolve) => setTimeout(resolve, 700));
          controller.enqueue(encoder.encode(`event ${++sent}\n`));
          if (sent === 3) controller.close();
        },
      }));
    }, { headersTimeoutMs: 500 }, 300);
    const [slow, stream, upload] = await Promise.all([
      exchange(port, [get("/slow")]),
      exchange(port, [get("/stream")]),
      exchange(port, ["POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 30\r\nConnection: close\r\n\r\n", "a".repeat(10), "b".repeat(10), "c".repeat(10)], { gapMs: 700 }),
    ]);
    expect(slow).toMatchObject({ statuses: [200], closed: true });
    expect(slow.data).toContain("slow done");
    expect(stream.data).toContain("event 3\n");
    expect(stream.data).toMatch(/0\r\n\r\n$/);
    expect(upload.data).toContain("got 30");
  });
});

describe("serveNode: body stalls, bounded by the socket", () => {
  const upload = (length: number) => `POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: ${length}\r\n\r\n`;

  it("answers 408 and closes when a body stalls past bodyTimeoutMs, and fails the app's read with a BodyTimeoutError", async () => {
    let readError: unknown;
    const { port } = await start(async (request) => {
      try {
        return new Response(`got ${(await request.text()).length}`);
      } catch (error) {
        readError = error;
        return new Response("late", { status: 500 });
      }
    }, { bodyTimeoutMs: 1_000 });
    const result = await exchange(port, [upload(100), "s".repeat(10)]);
    expect(result).toMatchObject({ statuses: [408], closed: true });
    expect(result.data).toMatch(/\r\nConnection: close\r\n/i);
    expect(result.data).not.toContain("late");
    expect(result.ms).toBeGreaterThanOrEqual(900);
    expect(result.ms).toBeLessThan(2_500);
    await waitFor("the app's read to fail", () => readError !== undefined);
    expect((readError as Error).name).toBe("BodyTimeoutError");
  });

  it("bounds each stall, not the whole upload, for Content-Length and chunked bodies", async () => {
    const { port } = await start(async (request) => new Response(`got ${(await request.text()).length}`), { bodyTimeoutMs: 1_000 });
    const chunked = "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    // 4 parts 600 ms apart: 1.8 s in all, no stall of 1 s.
    const [announced, streamed] = await Promise.all([
      exchange(port, [upload(30), "a".repeat(10), "b".repeat(10), "c".repeat(10)], { gapMs: 600, until: (data) => data.includes("got") }),
      exchange(port, [chunked, "a\r\naaaaaaaaaa\r\n", "a\r\nbbbbbbbbbb\r\n", "0\r\n\r\n"], { gapMs: 600, until: (data) => data.includes("got") }),
    ]);
    expect(announced.data).toContain("got 30");
    expect(streamed.data).toContain("got 20");
  });

  it("never cuts a handler that works past bodyTimeoutMs once the body is complete", async () => {
    const { port } = await start(async (request) => {
      const body = await request.text();
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      return new Response(`got ${body.length}`);
    }, { bodyTimeoutMs: 1_000 });
    const result = await exchange(port, [`${upload(3)}abc`], { until: (data) => data.includes("got") });
    expect(result.statuses).toEqual([200]);
    expect(result.data).toContain("got 3");
  });

  it("leaves the keep-alive bound to Node once the body is complete", async () => {
    const { port } = await start(async (request) => new Response(`got ${(await request.text()).length}`), { bodyTimeoutMs: 5_000 }, 1_000);
    const result = await exchange(port, [`${upload(3)}abc`]);
    expect(result).toMatchObject({ statuses: [200], closed: true });
    expect(result.ms).toBeGreaterThanOrEqual(900);
    expect(result.ms).toBeLessThan(3_000);
  });

  it("closes a connection whose unread body stalls after the app has answered, by the keep-alive bound", async () => {
    // Node re-arms the socket's timeout with keepalive once the response is done.
    const { port } = await start(() => new Response("not reading"), { bodyTimeoutMs: 10_000 }, 1_000);
    const result = await exchange(port, [upload(100), "s".repeat(10)]);
    expect(result).toMatchObject({ statuses: [200], closed: true });
    expect(result.ms).toBeLessThan(3_000);
  });
});

describe("serveNode: a response the app made wrong", () => {
  it.each([
    ["synchronously", (response: () => Response) => response],
    ["asynchronously", (response: () => Response) => () => Promise.resolve().then(response)],
  ])("answers 500 Internal Server Error to a header with CR/LF returned %s, logs it, and keeps serving", async (_how, wrap) => {
    const bad = wrap(() => new Response("secret", { headers: { "x-evil": "a\r\nInjected: 1" } }));
    const { port, appErrors } = await start((request) => (new URL(request.url).pathname === "/bad" ? bad() : new Response("fine")));
    const result = await exchange(port, [get("/bad")]);
    expect(result.statuses).toEqual([500]);
    expect(result.data).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/);
    expect(result.data).not.toContain("Injected");
    expect(result.data).toMatch(/\r\n\r\nInternal Server Error$/);
    expect(appErrors).toEqual([expect.stringMatching(/^Error writing the response to GET \/bad: TypeError: Invalid character in header content \["x-evil"\]\n    at /)]);
    expect(printed).toEqual([]);
    expect((await exchange(port, [get("/next")])).data).toContain("fine");
  });

  it("reports a bad header once, and nothing more, when the body stream that was to follow fails too", async () => {
    const { port, appErrors } = await start(() =>
      new Response(new ReadableStream({ start: (controller) => controller.error(new Error("late")) }), {
        headers: { "x-evil": "a\nb" },
      })
    );
    const result = await exchange(port, [get()]);
    expect(result.data).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n[^]*\r\n\r\nInternal Server Error$/);
    // The stream failed in the same turn as the head: by the close, the library has had its say.
    expect(appErrors).toHaveLength(1);
    expect(printed).toEqual([]);
  });

  it("answers 500 Internal Server Error to a status out of range", async () => {
    const { port, appErrors } = await start(() => new Response("x", { status: 1000 }));
    const result = await exchange(port, [get()]);
    expect(result.data).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/);
    expect(appErrors).toEqual([expect.stringMatching(/^Error writing the response to GET \/: RangeError: Invalid status code: 1000\n/)]);
  });

  it("cuts the connection when a body stream fails after its head went out, and logs it through mgr", async () => {
    const encoder = new TextEncoder();
    const { port, appErrors } = await start(() =>
      new Response(new ReadableStream({
        start(controller) {
          controller.enqueue(encoder.encode("part"));
          setTimeout(() => controller.error(new Error("stream broke")), 50);
        },
      }))
    );
    const result = await exchange(port, [get()]);
    expect(result).toMatchObject({ statuses: [200], closed: true });
    expect(result.data).toContain("part");
    expect(result.data).not.toContain("stream broke");
    expect(result.data).not.toMatch(/0\r\n\r\n$/);
    await waitFor("the log line", () => appErrors.length > 0);
    expect(appErrors).toEqual([expect.stringMatching(/^Error writing the response to GET \/: Error: stream broke/)]);
    expect(printed).toEqual([]);
  });

  it("answers 500 Internal Server Error, without the error's text, when a body stream fails before its head", async () => {
    const { port, appErrors } = await start(async () => {
      // A Response of the runtime's own (as fetch() returns), not the library's light one.
      const stream = new ReadableStream({ pull: (controller) => controller.error(new Error("nothing to send")) });
      return new Response(stream).clone();
    });
    const result = await exchange(port, [get()]);
    expect(result.data).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/);
    expect(result.data).not.toContain("nothing to send");
    expect(appErrors).toEqual([expect.stringMatching(/^Error writing the response to GET \/: Error: nothing to send/)]);
    expect(printed).toEqual([]);
  });

  it("still prints what the app itself sends to console.error", async () => {
    const { port } = await start(() => {
      console.error(new Error("the app's own line"));
      return new Response("ok");
    });
    await exchange(port, [get()]);
    expect(printed).toEqual([[new Error("the app's own line")]]);
  });
});

describe("serveNode: pipelining", () => {
  it("answers 100 pipelined requests in order", async () => {
    const { port } = await start((request) => new Response(new URL(request.url).pathname));
    const requests = Array.from({ length: 100 }, (_, i) => `GET /${i} HTTP/1.1\r\nHost: a\r\n${i === 99 ? "Connection: close\r\n" : ""}\r\n`);
    const result = await exchange(port, [requests.join("")]);
    expect(result.statuses).toHaveLength(100);
    const bodies = [...result.data.matchAll(/\r\n\r\n(\/\d+)/g)].map((match) => match[1]);
    expect(bodies).toEqual(Array.from({ length: 100 }, (_, i) => `/${i}`));
  });
});
