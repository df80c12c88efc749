/**
 * Bun's side of the HTTP edge, on a real master with real workers and raw sockets: `--keepalive`
 * bounds idle connections only, the head limits, the body limit and a missing Host.
 */

import { connect } from "node:net";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { destroyAllMasters, FIXTURES, freePort, RUNTIMES, startServing } from "./harness.ts";

const APP = `${FIXTURES}long-responses.ts`;
const KEEPALIVE_S = 2;
/**
 * Bun checks its timeouts on a 4 s tick: an idle connection goes between the keep-alive rounded up to
 * 4 s and 4 s later, here 4 to 8 s (adapters/bun/idle-timeout.ts), never sooner than the keep-alive.
 */
const IDLE_CLOSE_MS = { earliest: KEEPALIVE_S * 1000, latest: 8_000 + 1_000 };

/** What one raw connection saw. */
interface Exchange {
  text: string;
  statuses: number[];
  end: "closed" | "reset" | "open";
  endMs: number;
}

/**
 * Writes `pieces` (strings, or pauses in ms) to 127.0.0.1:`port` and reads until the server ends the
 * connection, `watchMs` passes, or what was read satisfies `until` (then `end` is `open`).
 */
function exchange(port: number, pieces: (string | number)[], watchMs: number, until?: (text: string) => boolean): Promise<Exchange> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect({ host: "127.0.0.1", port });
    let text = "";
    let done = false;
    const finish = (end: Exchange["end"]) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      socket.destroy();
      const statuses = [...text.matchAll(/^HTTP\/1\.[01] (\d{3})/gm)].map((match) => Number(match[1]));
      resolve({ text, statuses, end, endMs: Date.now() - started });
    };
    const deadline = setTimeout(() => finish("open"), watchMs);
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      text += chunk;
      if (until?.(text)) finish("open");
    });
    socket.on("end", () => finish("closed"));
    socket.on("close", () => finish("closed"));
    socket.on("error", () => finish("reset"));
    socket.on("connect", async () => {
      for (const piece of pieces) {
        if (done) return;
        if (typeof piece === "number") await new Promise((resolve) => setTimeout(resolve, piece));
        else socket.write(piece);
      }
    });
  });
}

const get = (target: string, head = "Host: 127.0.0.1\r\n") => `GET ${target} HTTP/1.1\r\n${head}\r\n`;

describe.runIf(RUNTIMES.includes("bun"))("the HTTP edge on Bun", () => {
  // Each case has a master of its own and spends its time waiting on Bun's 4 s idle tick: run side by
  // side, the waits overlap.
  describe("--keepalive", () => {
    afterAll(destroyAllMasters);

    it.concurrent("lets --keepalive close idle connections only, never a slow handler, an event stream or a slow upload", async () => {
      const port = await freePort();
      await startServing("bun", APP, port, ["--workers", "1", "--keepalive", String(KEEPALIVE_S)]);
      const watchMs = 20_000;
      const streamEnded = (text: string) => text.endsWith("0\r\n\r\n");
      const [slow, sse, asyncSse, upload, idle, idleAfterSlow] = await Promise.all([
        exchange(port, [get("/slow?ms=8000")], watchMs, (text) => text.includes("slept 8000")),
        exchange(port, [get("/sse?events=3&gapMs=5000")], watchMs, streamEnded),
        exchange(port, [get("/async-sse?events=3&gapMs=5000")], watchMs, streamEnded),
        exchange(
          port,
          ["POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 30\r\n\r\n0123456789", 5_000, "0123456789", 5_000, "0123456789"],
          watchMs,
          (text) => text.includes("len=30"),
        ),
        exchange(port, [get("/")], watchMs),
        exchange(port, [get("/slow?ms=3000")], watchMs),
      ]);
      expect(slow.statuses).toEqual([200]);
      expect(slow.text).toContain("slept 8000");
      for (const stream of [sse, asyncSse]) {
        expect(stream.statuses).toEqual([200]);
        expect(stream.text).toContain("data: event 2\n\n");
        // The chunked body's last chunk: the stream ended, it was not cut.
        expect(stream.text.endsWith("0\r\n\r\n")).toBe(true);
      }
      expect(upload.statuses).toEqual([200]);
      expect(upload.text).toContain("len=30");
      // Idle keep-alive connections are still closed, after a quick response and after a slow one.
      expect(idle).toMatchObject({ statuses: [200], end: "closed" });
      expect(idle.endMs).toBeGreaterThanOrEqual(IDLE_CLOSE_MS.earliest);
      expect(idle.endMs).toBeLessThan(IDLE_CLOSE_MS.latest);
      expect(idleAfterSlow).toMatchObject({ statuses: [200], end: "closed" });
      expect(idleAfterSlow.endMs).toBeGreaterThanOrEqual(3_000 + IDLE_CLOSE_MS.earliest);
      expect(idleAfterSlow.endMs).toBeLessThan(3_000 + IDLE_CLOSE_MS.latest);
    });

    it.concurrent("never closes an idle connection sooner than --keepalive, whenever in Bun's 4 s tick it went idle", async () => {
      const port = await freePort();
      await startServing("bun", APP, port, ["--workers", "1", "--keepalive", String(KEEPALIVE_S)]);
      // One connection every 500 ms across a whole tick: each goes idle at another point of it.
      const idle = await Promise.all(Array.from({ length: 8 }, async (_, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * 500));
        return exchange(port, [get("/")], 15_000);
      }));
      for (const connection of idle) {
        expect(connection).toMatchObject({ statuses: [200], end: "closed" });
        expect(connection.endMs).toBeGreaterThanOrEqual(IDLE_CLOSE_MS.earliest);
        expect(connection.endMs).toBeLessThan(IDLE_CLOSE_MS.latest);
      }
    });

    it.concurrent("bounds a connection again at its next request after a response that streamed", async () => {
      const port = await freePort();
      await startServing("bun", APP, port, ["--workers", "1", "--keepalive", String(KEEPALIVE_S)]);
      const afterStream = await exchange(port, [get("/sse?events=2&gapMs=100"), 500, get("/")], 20_000);
      expect(afterStream).toMatchObject({ statuses: [200, 200], end: "closed" });
      expect(afterStream.endMs).toBeLessThan(600 + IDLE_CLOSE_MS.latest);
    });
  });

  describe("limits", () => {
    afterEach(destroyAllMasters);

    it("answers the head limits with Gunicorn's statuses and closes, and logs each refusal at info", async () => {
      const port = await freePort();
      const master = await startServing("bun", APP, port, ["--workers", "1"]);
      // `GET ` + target + ` HTTP/1.1` is the request line: 4094 bytes at most.
      const target = (lineBytes: number) => `/?${"a".repeat(lineBytes - "GET  HTTP/1.1".length - 2)}`;
      const atLimit = await exchange(port, [get(target(4094), "Host: 127.0.0.1\r\nConnection: close\r\n")], 5_000);
      expect(atLimit.statuses).toEqual([200]);
      const longLine = await exchange(port, [get(target(4095))], 5_000);
      expect(longLine).toMatchObject({ statuses: [414], end: "closed" });

      // One field (name, `: `, value) over 8190 bytes, in the shortest head and in a common one.
      const field = (bytes: number) => `X-Big: ${"v".repeat(bytes - "X-Big: ".length)}\r\n`;
      const fieldAtLimit = await exchange(port, [`GET / HTTP/1.1\r\nHost: a\r\n${field(8190)}Connection: close\r\n\r\n`], 5_000);
      // The head is then over Bun's one bound, which leaves no room beside a field at the limit (README).
      expect(fieldAtLimit.statuses).toEqual([431]);
      const fieldAtLimitAlone = await exchange(port, [`GET / HTTP/1.1\r\nHost: a\r\n${field(8190)}\r\n`], 5_000, (text) => text.endsWith("ok"));
      expect(fieldAtLimitAlone.statuses).toEqual([200]);
      for (const head of [`Host: a\r\n${field(8191)}`, `Host: 127.0.0.1\r\nUser-Agent: test\r\n${field(10_000)}`]) {
        const big = await exchange(port, [`GET / HTTP/1.1\r\n${head}\r\n`], 5_000);
        expect(big).toMatchObject({ statuses: [431], end: "closed" });
      }
      const bigHost = await exchange(port, [`GET / HTTP/1.1\r\nHost: ${"h".repeat(8191 - "Host: ".length)}\r\n\r\n`], 5_000);
      expect(bigHost).toMatchObject({ statuses: [431], end: "closed" });

      // Bun's own fixed cap on the number of fields.
      const manyFields = Array.from({ length: 199 }, (_, i) => `X-${i}: v\r\n`).join("");
      const tooMany = await exchange(port, [`GET / HTTP/1.1\r\nHost: a\r\n${manyFields.slice("X-0: v\r\n".length)}\r\n`], 5_000);
      expect(tooMany).toMatchObject({ statuses: [431], end: "closed" });

      await master.waitForLine(/\[INFO\] Invalid request from 127\.0\.0\.1: request line is too large \(4095 > 4094 bytes\); answered 414/);
      await master.waitForLine(/\[INFO\] Invalid request from 127\.0\.0\.1: header field Host is too large \(8191 > 8190 bytes\); answered 431/);
    });

    it("answers 400 to a request without Host, HTTP/1.0 or 1.1", async () => {
      const port = await freePort();
      const master = await startServing("bun", APP, port, ["--workers", "1"]);
      const old = await exchange(port, ["GET /url HTTP/1.0\r\n\r\n"], 5_000);
      expect(old).toMatchObject({ statuses: [400], end: "closed" });
      const current = await exchange(port, ["GET /url HTTP/1.1\r\n\r\n"], 5_000);
      expect(current).toMatchObject({ statuses: [400], end: "closed" });
      const withHost = await exchange(port, ["GET /url HTTP/1.0\r\nHost: a\r\n\r\n"], 5_000);
      expect(withHost.statuses).toEqual([200]);
      expect(withHost.text).toContain("http://a/url");
      await master.waitForLine(/\[INFO\] Invalid request from 127\.0\.0\.1: no valid Host header; answered 400/);
      expect(master.lines(/\[ERROR\]/)).toEqual([]);
    });

    it("answers 413 over --limit-request-body, for a Content-Length and a chunked body, and takes any size without it", async () => {
      const port = await freePort();
      await startServing("bun", APP, port, ["--workers", "1", "--limit-request-body", "1000"]);
      const post = (head: string, body: string) => `POST /body HTTP/1.1\r\nHost: a\r\n${head}\r\n${body}`;
      const atLimit = await exchange(port, [post("Content-Length: 1000\r\nConnection: close\r\n", "x".repeat(1000))], 5_000);
      expect(atLimit.statuses).toEqual([200]);
      const over = await exchange(port, [post("Content-Length: 1001\r\n", "x".repeat(1001))], 5_000);
      expect(over).toMatchObject({ statuses: [413], end: "closed" });
      const chunk = `${(600).toString(16)}\r\n${"x".repeat(600)}\r\n`;
      const chunked = await exchange(port, [post("Transfer-Encoding: chunked\r\n", chunk), 200, chunk, 200, "0\r\n\r\n"], 5_000);
      expect(chunked).toMatchObject({ statuses: [413], end: "closed" });
      await destroyAllMasters();

      // Without a limit, Bun's own default (128 MiB) must not answer for mgr.
      const unlimited = await freePort();
      await startServing("bun", APP, unlimited, ["--workers", "1"]);
      const large = await exchange(unlimited, [post("Content-Length: 200000000\r\n", "0123456789")], 1_500);
      expect(large).toMatchObject({ statuses: [], end: "open" });
    });
  });
});
