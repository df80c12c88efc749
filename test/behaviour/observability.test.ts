/**
 * The admin endpoint, metrics, dashboard, `--max-rss` and the access log's byte counts, on every
 * runtime: a real master serving test/fixtures/observability-app.ts, its admin endpoint on loopback.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { metricValue, parseMetrics } from "../support/prometheus-text.ts";
import { destroyAllMasters, FIXTURES, freePort, get, loadLoop, Master, runMgr, RUNTIMES, waitFor } from "./harness.ts";

const APP = `${FIXTURES}observability-app.ts`;
const TOKEN = "behaviour-test-token-0123456789";
const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);

let directory: string;
beforeAll(() => void (directory = mkdtempSync(join(tmpdir(), "mgr-observability-"))));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
afterEach(destroyAllMasters);

/** GET `path` on the admin endpoint at `port`, with the token unless told otherwise. */
async function admin(port: number, path: string, token: string | null = TOKEN): Promise<Response> {
  return await fetch(`http://127.0.0.1:${port}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

async function metrics(port: number, token: string | null = TOKEN) {
  return parseMetrics(await (await admin(port, "/metrics", token)).text());
}

/** The lines of the access log at `path` so far. */
function accessLines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean) : [];
}

describe.each(RUNTIMES)("observability on %s", (runtime) => {
  it("serves health, status, metrics and a live dashboard from the master, behind its token", async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    const accessLog = join(directory, `access-${runtime}.log`);
    const master = new Master(runtime, [
      APP, "-w", "2", "-b", `127.0.0.1:${port}`, "--admin-bind", `127.0.0.1:${adminPort}`, "--access-log", accessLog,
      "--access-log-format", '%(h)s "%(r)s" %(s)s %(b)s %(B)s',
    ], { MGR_ADMIN_TOKEN: TOKEN });
    await master.waitForLine(/\[INFO\] Ready: 2 workers serving/, 20_000);
    await master.waitForLine(/Admin endpoint at http:\/\/127\.0\.0\.1:\d+ \(bearer token required\)/);

    // Health checks are open; everything with data wants the token.
    expect((await admin(adminPort, "/healthz", null)).status).toBe(200);
    expect((await admin(adminPort, "/readyz", null)).status).toBe(200);
    expect((await admin(adminPort, "/status", null)).status).toBe(401);
    expect((await admin(adminPort, "/metrics", null)).status).toBe(401);

    // /status is the document `mgr status --json` prints.
    const fromCli = await runMgr(runtime, ["status", "--json", "-b", `127.0.0.1:${port}`]);
    expect(fromCli.code, fromCli.stderr).toBe(0);
    const cli = JSON.parse(fromCli.stdout);
    const http = await (await admin(adminPort, "/status")).json();
    expect(Object.keys(http).sort()).toEqual(Object.keys(cli).sort());
    expect(http).toMatchObject({ pid: master.pid, phase: "running", workers: 2, ready: 2 });
    expect(http.pool.map((w: { pid: number }) => w.pid).sort()).toEqual(cli.pool.map((w: { pid: number }) => w.pid).sort());
    expect(http.pool.map((w: { pid: number }) => w.pid).sort()).toEqual(master.workers());

    // %(b)s and %(B)s are the body bytes the client received, fixed-length or streamed.
    const text = await get(port, "/text?n=12345", { fresh: true });
    const stream = await get(port, "/stream?chunks=4&size=1000", { fresh: true });
    expect([text.body.length, stream.body.length]).toEqual([12345, 4000]);
    const logged = await waitFor("both access lines", () => {
      const lines = accessLines(accessLog);
      const line = (path: string) => lines.find((l) => l.includes(`"GET ${path} HTTP/1.1"`));
      return line("/text?n=12345") && line("/stream?chunks=4&size=1000") && [line("/text?n=12345")!, line("/stream?chunks=4&size=1000")!];
    });
    expect(logged[0]).toMatch(/ 200 12345 12345$/);
    expect(logged[1]).toMatch(/ 200 4000 4000$/);

    // Counters are the master's sums: a worker SIGKILLed takes none with it, and its death is counted.
    for (let i = 0; i < 20; i++) await get(port, "/");
    const before = await waitFor("the requests counted", async () => {
      const m = await metrics(adminPort);
      return metricValue(m, "mgr_requests_total") >= 22 && m;
    });
    expect(metricValue(before, "mgr_worker_restarts_total", { reason: "crash" })).toBe(0);
    const [victim] = master.workers();
    process.kill(victim!, "SIGKILL");
    await master.waitForLine(/was sent SIGKILL! Perhaps out of memory\?/);
    const after = await waitFor("the kill counted and the pool whole again", async () => {
      const m = await metrics(adminPort);
      return metricValue(m, "mgr_worker_restarts_total", { reason: "crash" }) === 1 && metricValue(m, "mgr_workers", { state: "ready" }) === 2 && m;
    });
    expect(metricValue(after, "mgr_worker_oom_kills_total")).toBe(1);
    expect(metricValue(after, "mgr_requests_total")).toBeGreaterThanOrEqual(metricValue(before, "mgr_requests_total"));
    for (let i = 0; i < 10; i++) await get(port, "/");
    await waitFor("requests counted past the kill", async () =>
      metricValue(await metrics(adminPort), "mgr_requests_total") >= metricValue(before, "mgr_requests_total") + 10);

    // The dashboard: it shows the live pids, changes within 2 s of a kill, and draws its chart.
    expect(CHROMIUM, "Debian's chromium renders the dashboard: `apt-get install -y chromium` (.ci/run does)").toBeDefined();
    await checkDashboard(adminPort, master, port);

    // A worker that is stopped does not answer though the master still counts it ready.
    const workers = master.workers();
    for (const pid of workers) process.kill(pid, "SIGSTOP");
    try {
      await waitFor("/readyz 503 while every worker is stopped", async () => (await admin(adminPort, "/readyz", null)).status === 503, { timeoutMs: 5_000 });
    } finally {
      for (const pid of workers) process.kill(pid, "SIGCONT");
    }
    await waitFor("/readyz 200 again", async () => (await admin(adminPort, "/readyz", null)).status === 200, { timeoutMs: 5_000 });
  }, 60_000);

  it("refuses an admin endpoint off loopback without a token, before starting anything", async () => {
    const result = await runMgr(runtime, [APP, "-b", `127.0.0.1:${await freePort()}`, "--admin-bind", "0.0.0.0:9"]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toEqual([
      "mgr: error: refusing to serve the admin endpoint on 0.0.0.0:9 without a token: set --admin-token (or $MGR_ADMIN_TOKEN), or bind it to 127.0.0.1 or unix:PATH (see mgr --help)",
    ]);
  });

  it("refuses an access log it cannot open, as it does an error log: exit 2, one line", async () => {
    const result = await runMgr(runtime, [APP, "-b", `127.0.0.1:${await freePort()}`, "--access-log", directory]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringMatching(new RegExp(`^mgr: error: cannot open the access log ${directory}: .*EISDIR`))]);
  });

  it("recycles workers of a leaking app past --max-rss under load, losing no request, and logs JSON access lines", async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    const accessLog = join(directory, `access-json-${runtime}.log`);
    const master = new Master(runtime, [
      APP, "-w", "2", "-b", `127.0.0.1:${port}`, "--admin-bind", `127.0.0.1:${adminPort}`, "--max-rss", "200",
      "--log-format", "json", "--access-log", accessLog, "--access-log-format", '%(h)s "%(r)s" %(s)s %(b)s %(D)s',
    ]);
    await master.waitForLine(/"message":"Ready: 2 workers serving/, 20_000);
    const load = loadLoop(port, "/leak", 2);
    try {
      await waitFor("two recycles for max-rss", async () =>
        metricValue(await metrics(adminPort, null), "mgr_worker_recycles_total", { reason: "max_rss" }) >= 2, { timeoutMs: 30_000, intervalMs: 200 });
    } finally {
      await load.stop();
    }
    expect(load.result.errors).toEqual([]);
    expect(load.result.non2xx).toBe(0);
    const recycled = master.lines(/over max-rss 200 MB; replacing it/);
    expect(recycled.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(recycled[0]!).message).toMatch(/^Worker \(pid:\d+\) uses \d+\.\d MB of memory, over max-rss 200 MB; replacing it$/);

    const lines = await waitFor("the access lines", () => {
      const all = accessLines(accessLog);
      return all.length >= load.result.ok && all;
    });
    for (const line of lines) {
      const entry = JSON.parse(line);
      expect(entry).toMatchObject({ remote_addr: "127.0.0.1", request: "GET /leak HTTP/1.1", status: 200 });
      // "leaked 20 MB" to "leaked 9980 MB": the body's length, counted as it was sent.
      expect(entry.bytes).toBeGreaterThanOrEqual("leaked 20 MB".length);
      expect(entry.bytes).toBeLessThanOrEqual("leaked 9980 MB".length);
      expect(entry.duration_us).toBeGreaterThan(0);
    }
  }, 60_000);
});

/** Opens the dashboard in headless Chromium, types the token, and watches it follow the pool. */
async function checkDashboard(adminPort: number, master: Master, port: number): Promise<void> {
  const browser = await puppeteer.launch({ executablePath: CHROMIUM!, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
  try {
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on("request", (request) => requested.push(request.url()));
    await page.setViewport({ width: 390, height: 844, isMobile: true });
    await page.goto(`http://127.0.0.1:${adminPort}/`, { waitUntil: "load" });
    await page.type("#token", TOKEN);
    await page.$eval("#token", (input) => input.dispatchEvent(new Event("change")));
    const shownPids = () => page.$$eval("#pool tr", (rows) => rows.map((row) => Number((row as HTMLElement).dataset.pid)).sort());
    await waitFor("the live pids in the table", async () => JSON.stringify(await shownPids()) === JSON.stringify(master.workers()), { timeoutMs: 5_000 });
    // Nothing outside the admin endpoint is fetched.
    expect(requested.every((url) => url.startsWith(`http://127.0.0.1:${adminPort}/`))).toBe(true);

    const [victim] = master.workers();
    process.kill(victim!, "SIGKILL");
    const killedAt = Date.now();
    await waitFor("the page to drop the killed pid", async () => !(await shownPids()).includes(victim!), { timeoutMs: 2_000, intervalMs: 50 });
    expect(Date.now() - killedAt).toBeLessThan(2_000);

    // Requests in a finished step of the history draw the req/s line in its color.
    for (let i = 0; i < 30; i++) await get(port, "/");
    await waitFor("the req/s line drawn", () => page.evaluate(() => {
      const canvas = document.getElementById("chart") as HTMLCanvasElement;
      const color = getComputedStyle(document.documentElement).getPropertyValue("--rps").trim();
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
      const pixels = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      let found = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        if (Math.abs(pixels[i]! - r!) < 8 && Math.abs(pixels[i + 1]! - g!) < 8 && Math.abs(pixels[i + 2]! - b!) < 8) found++;
      }
      return document.body.dataset.chart === "drawn" && found > 20;
    }), { timeoutMs: 8_000, intervalMs: 250 });
    await page.screenshot({ path: join(directory, "dashboard.png") });

    // The Scale button, with the token typed, resizes the pool.
    await page.$eval("#workers", (input) => ((input as HTMLInputElement).value = "3"));
    await page.click("#scale");
    await master.waitForWorkers(3);
    await master.waitForLine(/Scale to 3 requested over the admin endpoint/);
  } finally {
    await browser.close();
  }
}
