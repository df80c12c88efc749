/**
 * The Node server's HTTP edge, in process: its timeouts, with real time (Node's own timers are under
 * test) and bounds loose enough for a loaded machine. A file of their own so that their waits run
 * beside the other edge tests.
 */

import { describe, expect, it } from "vitest";
import { exchange, get, hello, start } from "./node-edge-harness.ts";

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
