/**
 * The HTTP edge, on every runtime in RUNTIMES, over raw sockets: a catalogue of bad, slow and odd
 * requests, each with the documented answer (README, "The HTTP edge"), while the workers keep serving
 * everyone else; long responses that `--keepalive` must not cut; and stalled bodies that must not
 * cost a worker its memory.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  destroyAllMasters,
  FIXTURES,
  freePort,
  get,
  type Master,
  RUNTIMES,
  runMgr,
  startServing,
  waitFor,
} from "./harness.ts";
import { exchange, field, type RawExchange } from "./raw-http.ts";
import {
  CASES,
  type EdgeCase,
  EDGE_FLAGS,
  KEEPALIVE_MS,
  maxIdleMs,
  type Outcome,
  outcomeOn,
  request,
} from "./http-edge-cases.ts";

const APP = `${FIXTURES}edge-app.ts`;

/** What one case saw: its connection, then a GET / on a connection of its own. */
interface CaseResult {
  seen: RawExchange;
  after: number | string;
}

async function runCase(port: number, edgeCase: EdgeCase, outcome: Outcome): Promise<CaseResult> {
  const waitsForEnd = outcome.closes || outcome.status === "none";
  const seen = await exchange(port, edgeCase.send, {
    ...(waitsForEnd ? {} : { responses: outcome.responses ?? 1 }),
    timeoutMs: outcome.byMs + 2_000,
  });
  // The worker keeps serving others after every case.
  const after = await get(port, `/?case=${edgeCase.id}-after`, { fresh: true }).then((r) => r.status, String);
  return { seen, after };
}

/** Lines of `log` at ERROR that name the case `id`. */
function errorLinesOf(log: string[], id: string): string[] {
  const tag = new RegExp(String.raw`case=${id}(?![\w-])`);
  return log.filter((line) => line.includes("[ERROR]") && tag.test(line));
}

function verify(edgeCase: EdgeCase, outcome: Outcome, result: CaseResult | undefined, log: string[]): void {
  expect(result, "the case did not run").toBeDefined();
  const { seen, after } = result!;
  const first = seen.responses[0];
  const summary = `${edgeCase.id}: ${seen.responses.length} answers (first ${first?.status ?? "-"} at ` +
    `${first?.atMs ?? "-"} ms), connection ${seen.end} at ${seen.endMs} ms${seen.error ? ` (${seen.error})` : ""}, ` +
    `rest ${JSON.stringify(seen.rest.subarray(0, 80).toString("latin1"))}`;
  if (outcome.status === "none") expect(first?.status, summary).toBeUndefined();
  else if (outcome.status !== "any") expect(first?.status, summary).toBe(outcome.status);
  if (outcome.closes) expect(seen.end, `the server did not end the connection; ${summary}`).not.toBe("open");
  else expect(seen.end, `the server ended a connection it should have kept; ${summary}`).toBe("open");
  const at = outcome.status === "none" || outcome.status === "any" ? seen.endMs : first?.atMs ?? seen.endMs;
  if (outcome.notBeforeMs !== undefined) expect(at, `too early; ${summary}`).toBeGreaterThanOrEqual(outcome.notBeforeMs);
  expect(at, `too late; ${summary}`).toBeLessThanOrEqual(outcome.byMs);
  if (outcome.body !== undefined) {
    const body = first?.body.toString("utf8");
    if (typeof outcome.body === "string") expect(body, summary).toBe(outcome.body);
    else expect(body, summary).toMatch(outcome.body);
  }
  if (outcome.saysClose) expect(first && field(first, "connection"), summary).toMatch(/close/i);
  outcome.check?.(seen);
  expect(after, "a GET after the case").toBe(200);
  const errors = errorLinesOf(log, edgeCase.id);
  expect(errors, `ERROR lines naming case=${edgeCase.id}`).toHaveLength(outcome.errorLines ?? 0);
  if (outcome.errorLine) expect(errors[0]).toMatch(outcome.errorLine);
}

/** GETs on `port` from a keep-alive and a new-connection client, one per 50 ms each, until stopped. */
function steadyLoad(port: number) {
  let running = true;
  const result = { ok: 0, failures: [] as string[] };
  const loops = [false, true].map(async (fresh) => {
    while (running) {
      try {
        const response = await get(port, "/pid", { fresh });
        if (response.status === 200) result.ok++;
        else result.failures.push(`${fresh ? "new" : "keep-alive"} connection: status ${response.status}`);
      } catch (error) {
        result.failures.push(`${fresh ? "new" : "keep-alive"} connection: ${String(error)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}

/** The IN-FLIGHT column of `mgr status`, one number per worker. */
async function inFlight(runtime: string, port: number): Promise<number[]> {
  const status = await runMgr(runtime, ["status", "-b", `127.0.0.1:${port}`]);
  const lines = status.stdout.split("\n");
  const header = lines.findIndex((line) => line.startsWith("SLOT"));
  const column = lines[header]!.split(/\s+/).indexOf("IN-FLIGHT");
  return lines.slice(header + 1).filter(Boolean).map((line) => Number(line.trim().split(/\s+/)[column]));
}

/** VmRSS of `pid` in bytes, from /proc. */
async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) * 1024;
}

describe.each(RUNTIMES)("the HTTP edge on %s", (runtime) => {
  describe("the bad-request catalogue", () => {
    const results = new Map<string, CaseResult>();
    let trusting: Master;
    let workersBefore: number[] = [];
    let workersAfter: number[] = [];
    let load: { ok: number; failures: string[] } = { ok: 0, failures: [] };
    let ports: { trusting: number; untrusting: number };

    beforeAll(async () => {
      ports = { trusting: await freePort(), untrusting: await freePort() };
      const masters = await Promise.all([
        startServing(runtime, APP, ports.trusting, EDGE_FLAGS),
        startServing(runtime, APP, ports.untrusting, [...EDGE_FLAGS, "--forwarded-allow-ips", "10.9.9.9"]),
      ]);
      trusting = masters[0];
      workersBefore = await trusting.waitForWorkers(2);
      const steady = steadyLoad(ports.trusting);
      await Promise.all(CASES.map(async (edgeCase) => {
        const port = edgeCase.master === "untrusting" ? ports.untrusting : ports.trusting;
        results.set(edgeCase.id, await runCase(port, edgeCase, outcomeOn(edgeCase, runtime)));
      }));
      load = await steady.stop();
      workersAfter = trusting.workers();
    }, 60_000);

    afterAll(destroyAllMasters);

    it.each(CASES)("$title", async (edgeCase) => {
      const outcome = outcomeOn(edgeCase, runtime);
      // An ERROR line is written as the answer goes out: give it a moment to reach the master's log.
      if (outcome.errorLines) {
        await waitFor(`the ERROR line of case=${edgeCase.id}`, () => errorLinesOf(trusting.output, edgeCase.id).length > 0, {
          timeoutMs: 2_000,
        }).catch(() => {});
      }
      verify(edgeCase, outcome, results.get(edgeCase.id), trusting.output);
    });

    it("loses no request of other clients and no worker throughout, and leaves nothing in flight", async () => {
      expect(load.failures, "requests of other clients lost during the catalogue").toEqual([]);
      expect(load.ok).toBeGreaterThan(10);
      expect(workersAfter, "the workers serving after the catalogue").toEqual(workersBefore);
      // Every request is counted as done once answered: a 500 for a non-Response, a 503 for one that
      // never answered. The heartbeat carries the count every second.
      await waitFor("no request in flight", async () => {
        const counts = await inFlight(runtime, ports.trusting);
        return counts.length === 2 && counts.every((n) => n === 0);
      }, { timeoutMs: 8_000, intervalMs: 500 });
    });
  });

  describe("settings", () => {
    it("shows the edge's settings in print-config and refuses a bad value in one line", async () => {
      const shown = await runMgr(runtime, [
        "print-config", APP, "--limit-request-body", "1k", "--forwarded-allow-ips", "10.0.0.0/8,::1",
      ], { env: { MGR_HEADERS_TIMEOUT: "7" } });
      expect(shown.code, shown.stderr).toBe(0);
      for (const line of [
        /^headersTimeout\s+7\s+# environment MGR_HEADERS_TIMEOUT$/m,
        /^bodyTimeout\s+0\s+# default$/m,
        /^requestTimeout\s+0\s+# default$/m,
        /^limitRequestLine\s+4094\s+# default$/m,
        /^limitRequestFields\s+100\s+# default$/m,
        /^limitRequestFieldSize\s+8190\s+# default$/m,
        /^limitRequestBody\s+1024\s+# flag --limit-request-body$/m,
        /^forwardedAllowIps\s+10\.0\.0\.0\/8,::1\s+# flag --forwarded-allow-ips$/m,
      ]) expect(shown.stdout).toMatch(line);

      for (const [args, env, name] of [
        [["--limit-request-body", "1x"], {}, "--limit-request-body"],
        [["--forwarded-allow-ips", "10.0.0.300"], {}, "--forwarded-allow-ips"],
        [[], { MGR_BODY_TIMEOUT: "soon" }, "MGR_BODY_TIMEOUT"],
      ] as const) {
        const refused = await runMgr(runtime, [APP, ...args], { env });
        expect(refused.code, refused.stderr).toBe(2);
        expect(refused.stderr).toMatch(new RegExp(`^mgr: error: .*${name}.*\\n$`));
      }
    });
  });

  // Two masters of their own that mostly wait on timers (an 8 s handler, a 4 s body timeout): run side
  // by side, the waits overlap.
  describe("long responses and stalled bodies", () => {
    afterAll(destroyAllMasters);

    it.concurrent("completes an 8 s handler, an SSE stream with 3 s gaps and an upload with 3 s pauses, with --keepalive 2, and still closes an idle connection", async () => {
      const port = await freePort();
      await startServing(runtime, APP, port, ["-w", "2", "--keepalive", "2", "--headers-timeout", "2", "--body-timeout", "5"]);
      const [handler, stream, upload, idle] = await Promise.all([
        exchange(port, [request("/slow?ms=8000&case=long-handler")], { responses: 1, timeoutMs: 15_000 }),
        exchange(port, [request("/sse?events=3&gapMs=3000&case=long-sse")], { responses: 1, timeoutMs: 15_000 }),
        exchange(port, [
          request("/body?case=long-upload", { method: "POST", fields: ["Content-Length: 30"], body: "u".repeat(10) }),
          { pauseMs: 3_000 },
          "u".repeat(10),
          { pauseMs: 3_000 },
          "u".repeat(10),
        ], { responses: 1, timeoutMs: 15_000 }),
        exchange(port, [request("/?case=long-idle")], { timeoutMs: 15_000 }),
      ]);
      const say = (seen: RawExchange) => `${seen.responses.length} answers, connection ${seen.end} at ${seen.endMs} ms`;

      expect(handler.responses[0]?.status, say(handler)).toBe(200);
      expect(handler.responses[0]!.body.toString()).toBe("slept 8000");
      expect(handler.end, "the connection of the 8 s handler").toBe("open");

      expect(stream.responses[0]?.status, say(stream)).toBe(200);
      expect(stream.responses[0]!.body.toString()).toBe("data: event 0\n\ndata: event 1\n\ndata: event 2\n\n");
      expect(stream.responses[0]!.atMs).toBeGreaterThanOrEqual(6_000);
      expect(stream.end, "the connection of the SSE stream").toBe("open");

      expect(upload.responses[0]?.status, say(upload)).toBe(200);
      expect(upload.responses[0]!.body.toString()).toBe("len=30");
      expect(upload.end, "the connection of the slow upload").toBe("open");

      // The idle connection closed after ~keepalive, while the long ones were still at work.
      expect(idle.responses[0]?.status, say(idle)).toBe(200);
      expect(idle.end, say(idle)).not.toBe("open");
      const idleMs = idle.endMs - idle.responses[0]!.atMs;
      expect(idleMs, say(idle)).toBeGreaterThanOrEqual(KEEPALIVE_MS - 200);
      expect(idleMs, say(idle)).toBeLessThanOrEqual(maxIdleMs(runtime));
      // While the long ones were still at work; Bun's 4 s tick may close it as late as the 8 s handler ends.
      if (maxIdleMs(runtime) < 8_000) expect(idle.endMs, say(idle)).toBeLessThan(handler.responses[0]!.atMs);
    }, 40_000);

    it.concurrent("keeps every worker's memory within 50 MB under 40 stalled 1 GB uploads, then closes them after --body-timeout", async () => {
      const port = await freePort();
      const master = await startServing(runtime, APP, port, ["-w", "2", "--body-timeout", "4", "--headers-timeout", "10"]);
      const workers = await master.waitForWorkers(2);
      const before = new Map(await Promise.all(workers.map(async (pid) => [pid, await rssOf(pid)] as const)));

      const stalled = Array.from({ length: 40 }, (_, i) =>
        exchange(port, [
          request(`/body?case=mem-${i}`, { method: "POST", fields: ["Content-Length: 1000000000"], body: "m".repeat(10) }),
        ], { timeoutMs: 15_000 }));
      // Every upload has reached the app, which is reading its body.
      await waitFor(`the app reading all 40 bodies\n${master.log}`, () => master.lines(/reading body \/body\?case=mem-/).length === 40);
      let peak = 0;
      const sampleUntil = Date.now() + 1_500;
      while (Date.now() < sampleUntil) {
        for (const pid of workers) peak = Math.max(peak, (await rssOf(pid)) - before.get(pid)!);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(peak, "the largest growth of a worker's RSS, in bytes").toBeLessThanOrEqual(50 * 1024 * 1024);

      const ends = await Promise.all(stalled);
      for (const seen of ends) {
        const summary = `${seen.responses[0]?.status ?? "no answer"}, connection ${seen.end} at ${seen.endMs} ms`;
        expect(seen.end, summary).not.toBe("open");
        expect(seen.endMs, summary).toBeGreaterThanOrEqual(4_000 - 200);
        expect([408, undefined], summary).toContain(seen.responses[0]?.status);
      }
      expect((await get(port, "/", { fresh: true })).status).toBe(200);
      expect(master.workers()).toEqual(workers);
    }, 45_000);
  });
});
