/**
 * The Node server's HTTP edge, in process: a body that stalls, bounded by the socket, with real time
 * (Node's own timers are under test) and bounds loose enough for a loaded machine.
 */

import { describe, expect, it } from "vitest";
import { waitFor } from "../behaviour/harness.ts";
import { exchange, start } from "./node-edge-harness.ts";

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
