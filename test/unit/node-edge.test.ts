/**
 * The Node server's HTTP edge, in process: request head limits, what RFC 9112 forbids, Node's parse
 * errors, a response the app made wrong, pipelining. The timeouts and body stalls are in
 * node-edge-timeouts.test.ts and node-edge-body-stalls.test.ts, files of their own so that their waits run beside these.
 */

import { describe, expect, it } from "vitest";
import { waitFor } from "../behaviour/harness.ts";
import { exchange, fields, get, hello, printed, start } from "./node-edge-harness.ts";

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
