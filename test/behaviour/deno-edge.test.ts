/**
 * The HTTP edge of a Deno worker, with a real master and raw sockets: what `Deno.serve` alone never
 * did (close a slow or silent client, close an idle keep-alive connection, refuse a long request
 * line or a request without Host, close after an error answer that says so) and what it must keep
 * doing (finish a slow handler, a stream and an upload however long their pauses).
 */

import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { destroyAllMasters, FIXTURES, freePort, get, RUNTIMES, startServing, waitFor } from "./harness.ts";

const APP = `${FIXTURES}deno-edge-app.ts`;


/** A part of what a raw client sends: text, or a pause before the next part. */
type Piece = string | { pauseMs: number };

/** What one raw connection saw: every byte, how it ended, and when (ms from connect). */
interface Seen {
  text: string;
  end: "closed" | "reset" | "open";
  endMs: number;
}

/**
 * Connects to 127.0.0.1:`port`, sends `pieces`, and reads until the server ends the connection, or
 * `until(text)` holds (the client then leaves: `open`), or `timeoutMs` passes (`open`).
 */
function exchange(
  port: number,
  pieces: Piece[],
  { timeoutMs = 8_000, until }: { timeoutMs?: number; until?: (text: string) => boolean } = {},
): Promise<Seen> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const started = Date.now();
    let text = "";
    let done = false;
    const finish = (end: Seen["end"]) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, end, endMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish("open"), timeoutMs);
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      text += chunk;
      if (until?.(text)) finish("open");
    });
    socket.on("end", () => finish("closed"));
    socket.on("error", () => finish("reset"));
    socket.once("connect", async () => {
      for (const piece of pieces) {
        if (done) return;
        if (typeof piece === "string") socket.write(piece, "latin1");
        else await new Promise((resolve) => setTimeout(resolve, piece.pauseMs));
      }
    });
  });
}

/** The status codes of the responses in `text`, in order (the fixture's bodies never hold a status line). */
function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((match) => Number(match[1]));
}

/** A byte of `text` every `everyMs`: a slow client. */
function dribble(text: string, everyMs: number): Piece[] {
  return [...text].flatMap((char) => [char, { pauseMs: everyMs }]);
}

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`;

/** VmRSS of `pid` in bytes. */
function rssOf(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;
}

describe.skipIf(!RUNTIMES.includes("deno"))("the HTTP edge of a Deno worker", () => {
  // Cases that spend their time waiting on the worker's timers, each with a master of its own: run side
  // by side, the waits overlap.
  describe("timers", () => {
    afterAll(destroyAllMasters);

    it.concurrent("answers 408 and closes a connection that sends no complete head within --headers-timeout", async () => {
      const port = await freePort();
      const master = await startServing("deno", APP, port, ["-w", "1", "--headers-timeout", "1"]);
      const [silent, slowloris, partial, served] = await Promise.all([
        exchange(port, []),
        exchange(port, dribble("GET / HTTP/1.1\r\nHost: test\r\nX-Slow: abcdefghijklmnopqrstuvwxyz", 100)),
        exchange(port, ["GET / HTTP/1.1\r\nHo"]),
        // Meanwhile the worker serves everyone else.
        new Promise((resolve) => setTimeout(resolve, 500)).then(() => get(port, "/", { fresh: true })),
      ]);
      for (const seen of [silent, slowloris, partial]) {
        expect(statuses(seen.text)).toEqual([408]);
        expect(seen.endMs).toBeGreaterThanOrEqual(950);
        expect(seen.endMs).toBeLessThan(2_500);
      }
      expect(silent.end).toBe("closed");
      expect(partial.end).toBe("closed");
      // The slow client's next byte meets a closed socket: a reset, once the 408 is in.
      expect(["closed", "reset"]).toContain(slowloris.end);
      // One line each, at info: the client's fault.
      const logged = /\[INFO\] Invalid request from 127\.0\.0\.1:\d+: request head not received within 1 s; answered 408$/;
      await waitFor("three lines about the slow heads", () => master.lines(logged).length === 3);
      expect(served.status).toBe(200);
    });

    it.concurrent("closes an idle keep-alive connection after --keepalive, never a response or an upload in progress", async () => {
      const port = await freePort();
      await startServing("deno", APP, port, ["-w", "1", "--keepalive", "1"]);
      const upload = ["0123456789", { pauseMs: 1_600 }, "0123456789", { pauseMs: 1_600 }, "0123456789"];
      const [idle, slow, stream, uploaded] = await Promise.all([
        exchange(port, [GET("/")]),
        exchange(port, [GET("/slow?ms=2500")], { until: (text) => text.includes("slow done") }),
        exchange(port, [GET("/sse?gap=1600&n=2")], { until: (text) => text.endsWith("0\r\n\r\n") }),
        exchange(port, ["POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 30\r\n\r\n", ...upload], {
          until: (text) => text.includes("len=30"),
        }),
      ]);
      expect(statuses(idle.text)).toEqual([200]);
      expect(idle.end).toBe("closed");
      expect(idle.endMs).toBeGreaterThanOrEqual(950);
      expect(idle.endMs).toBeLessThan(2_500);
      expect(slow.text).toContain("slow done");
      expect(stream.text).toContain("data: 1");
      expect(stream.text).toContain("data: 0");
      expect(uploaded.text).toContain("len=30");
      for (const seen of [slow, stream, uploaded]) expect(seen.end).toBe("open");
    });

    it.concurrent("keeps the worker's memory within 50 MB under 40 stalled 1 GB uploads with no body bound at all", async () => {
      const port = await freePort();
      const master = await startServing("deno", APP, port, ["-w", "1", "--body-timeout", "0"]);
      const [worker] = await master.waitForWorkers(1);
      const before = rssOf(worker!);
      const head = "POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 1000000000\r\n\r\n0123456789";
      const uploads = Array.from({ length: 40 }, () => exchange(port, [head], { timeoutMs: 4_000 }));
      // Deno reserves a body's memory when the app starts reading it: give every handler time to start.
      await waitFor("the worker to take the 40 uploads", () => get(port, "/", { fresh: true }).then((r) => r.status === 200));
      let peak = 0;
      const until = Date.now() + 2_000;
      while (Date.now() < until) {
        peak = Math.max(peak, rssOf(worker!) - before);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(peak, "the growth of the worker's RSS, in bytes").toBeLessThanOrEqual(50 * 1024 * 1024);
      await Promise.all(uploads);
    }, 20_000);
  });

  describe("heads and bodies", () => {
    afterEach(destroyAllMasters);

    it("answers 414 and closes for a request line over --limit-request-line, and serves one at the limit", async () => {
      const port = await freePort();
      await startServing("deno", APP, port, ["-w", "1", "--limit-request-line", "100"]);
      // `GET ` + target + ` HTTP/1.1`: a target of 87 bytes makes a line of exactly 100.
      const atLimit = `/?q=${"a".repeat(83)}`;
      const over = `${atLimit}a`;
      const [ok, long] = await Promise.all([exchange(port, [GET(atLimit)], { until: (text) => text.includes("\r\n\r\n") }), exchange(port, [GET(over)])]);
      expect(statuses(ok.text)).toEqual([200]);
      expect(statuses(long.text)).toEqual([414]);
      expect(long.end).toBe("closed");
    });

    it("answers 400 to a request without Host, on HTTP/1.1 and HTTP/1.0, and serves one naming the fallback host", async () => {
      const port = await freePort();
      await startServing("deno", APP, port, ["-w", "1"]);
      const [v11, v10, named] = await Promise.all([
        exchange(port, ["GET / HTTP/1.1\r\n\r\n"]),
        exchange(port, ["GET / HTTP/1.0\r\n\r\n"]),
        // Deno's URL for a request without Host names this host: a client may send it too.
        exchange(port, [`GET / HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`]),
      ]);
      expect(statuses(v11.text)).toEqual([400]);
      expect(v11.end).toBe("closed");
      expect(statuses(v10.text)).toEqual([400]);
      expect(statuses(named.text)).toEqual([200]);
    });

    it("answers 400 to a method in lowercase", async () => {
      const port = await freePort();
      await startServing("deno", APP, port, ["-w", "1"]);
      const seen = await exchange(port, ["get / HTTP/1.1\r\nHost: test\r\n\r\n"]);
      expect(statuses(seen.text)).toEqual([400]);
      expect(seen.end).toBe("closed");
    });

    it("closes the connection after an error answer that says Connection: close, even with its body unread", async () => {
      const port = await freePort();
      const master = await startServing("deno", APP, port, ["-w", "1"]);
      const [worker] = await master.waitForWorkers(1);
      const unread = "POST /close?status=413 HTTP/1.1\r\nHost: test\r\nContent-Length: 5000\r\n\r\n";
      const [seen, bodyUnread] = await Promise.all([
        exchange(port, [GET("/close?status=413")], { timeoutMs: 3_000 }),
        exchange(port, [unread], { timeoutMs: 3_000 }),
      ]);
      expect(statuses(seen.text)).toEqual([413]);
      expect(seen.end).toBe("closed");
      expect(statuses(bodyUnread.text)).toEqual([413]);
      expect(bodyUnread.end).toBe("closed");
      expect(bodyUnread.endMs).toBeLessThan(1_500);
      // The same worker serves on.
      expect((await get(port, "/", { fresh: true })).status).toBe(200);
      expect(master.workers()).toEqual([worker]);
    });

    it("answers 100 pipelined requests in order on one connection", async () => {
      const port = await freePort();
      await startServing("deno", APP, port, ["-w", "1"]);
      const requests = Array.from({ length: 100 }, (_, i) => GET(i === 99 ? "/slow?ms=1" : `/?n=${i}`)).join("");
      const seen = await exchange(port, [requests], { until: (text) => text.includes("slow done") });
      expect(statuses(seen.text)).toEqual(Array(100).fill(200));
      expect(seen.text.match(/\r\n\r\nok/g)).toHaveLength(99);
    });

    it("logs a response stream that fails through mgr's logger, at error", async () => {
      const port = await freePort();
      const master = await startServing("deno", APP, port, ["-w", "1"]);
      const seen = await exchange(port, [GET("/stream-error")], { timeoutMs: 3_000 });
      expect(seen.text).toContain("first chunk");
      const line = await master.waitForLine(/the body stream broke/);
      expect(line).toMatch(/^\[[^\]]+\] \[\d+\] \[ERROR\] /);
    });

    it("with --headers-timeout 0 --keepalive 0 (Deno.serve), still refuses a bad head and logs a failing stream", async () => {
      const port = await freePort();
      const master = await startServing("deno", APP, port, ["-w", "1", "--headers-timeout", "0", "--keepalive", "0", "--limit-request-line", "100"]);
      const [long, noHost, lower, broken] = await Promise.all([
        exchange(port, [GET(`/${"a".repeat(100)}`)], { timeoutMs: 2_000 }),
        exchange(port, ["GET / HTTP/1.1\r\n\r\n"], { timeoutMs: 2_000 }),
        exchange(port, ["get / HTTP/1.1\r\nHost: test\r\n\r\n"], { timeoutMs: 2_000 }),
        exchange(port, [GET("/stream-error")], { timeoutMs: 2_000 }),
      ]);
      expect(statuses(long.text)).toEqual([414]);
      expect(statuses(noHost.text)).toEqual([400]);
      expect(statuses(lower.text)).toEqual([400]);
      expect(broken.text).toContain("first chunk");
      expect(await master.waitForLine(/the body stream broke/)).toMatch(/^\[[^\]]+\] \[\d+\] \[ERROR\] /);
    });
  });
});
