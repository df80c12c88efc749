/**
 * deploy/nginx/mgr.conf in front of real masters, on every runtime: what it answers itself, what it
 * bounds, that it passes the rest on, and that a reload and a stop of one instance behind it lose no
 * request, GET or POST. Needs nginx (`apt-get install nginx`; .ci/run installs it): without it the
 * test fails and says so. Timeouts are shortened here so the test takes seconds.
 */

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { request as httpRequest, Agent } from "node:http";
import { destroyAllMasters, FIXTURES, freePort, get, ROOT, RUNTIMES, startServing, waitFor } from "./harness.ts";

const NGINX = ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"].find((path) => existsSync(path));
const APP = `${FIXTURES}deno-edge-app.ts`;

let nginx: ChildProcess | undefined;
let dir: string | undefined;
afterEach(async () => {
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((resolve) => nginx!.once("exit", resolve));
    nginx.kill("SIGKILL");
    await exited;
  }
  nginx = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
  await destroyAllMasters();
});

/** Starts nginx with deploy/nginx/mgr.conf, its addresses and (for the test's sake) timeouts changed. */
async function startNginx(port: number, upstreamPorts: number | number[], upstreamKeepaliveS = 4): Promise<void> {
  dir = mkdtempSync(join(tmpdir(), "mgr-nginx-"));
  const servers = [upstreamPorts].flat().map((upstream) => `server 127.0.0.1:${upstream};`).join("\n    ");
  const conf = readFileSync(`${ROOT}deploy/nginx/mgr.conf`, "utf8")
    .replace("server 127.0.0.1:8000;", servers)
    .replace("keepalive_timeout 4s;", `keepalive_timeout ${upstreamKeepaliveS}s;`)
    .replace("listen 80;", `listen 127.0.0.1:${port};`)
    .replace("client_header_timeout 10s;", "client_header_timeout 1s;")
    .replace("keepalive_timeout 5s;", "keepalive_timeout 1s;");
  writeFileSync(join(dir, "mgr.conf"), conf);
  writeFileSync(join(dir, "nginx.conf"), [
    "daemon off;",
    "master_process off;",
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log info;`,
    "events {}",
    "http {",
    "  access_log off;",
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((kind) => `  ${kind}_temp_path ${dir}/${kind};`),
    `  include ${dir}/mgr.conf;`,
    "}",
  ].join("\n"));
  nginx = spawn(NGINX!, ["-p", dir, "-c", join(dir, "nginx.conf")], { stdio: "ignore" });
  await waitFor("nginx to answer", async () => (await get(port, "/", { fresh: true })).status === 200);
}

/** Sends `text` on a connection of its own; what came back, how the connection ended, and when. */
function exchange(port: number, text: string, timeoutMs = 5_000): Promise<{ text: string; end: string; endMs: number }> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port }, () => socket.write(text));
    const started = Date.now();
    let received = "";
    const finish = (end: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: received, end, endMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish("open"), timeoutMs);
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (received += chunk));
    socket.on("end", () => finish("closed"));
    socket.on("error", () => finish("reset"));
  });
}

describe("deploy/nginx/mgr.conf", () => {
  it.runIf(NGINX === undefined)("needs nginx: install it (`apt-get install nginx`) to run these tests", () => {
    throw new Error("nginx is not installed: `apt-get install nginx` (.ci/run does)");
  });

  describe.runIf(NGINX !== undefined).each(RUNTIMES)("in front of mgr on %s", (runtime) => {
    it("passes requests on, answers oversized heads and bodies itself, and closes slow and idle clients", async () => {
      const [port, upstreamPort] = [await freePort(), await freePort()];
      // Deno.serve, which bounds no connection: what nginx is there for.
      const bounds = runtime === "deno" ? ["--headers-timeout", "0", "--keepalive", "0"] : [];
      await startServing(runtime, APP, upstreamPort, ["-w", "1", ...bounds]);
      await startNginx(port, upstreamPort);

      const host = "Host: example.com\r\n";
      const [passed, longField, longLine, noHost, tooLarge, silent, idle] = await Promise.all([
        exchange(port, `GET /slow?ms=1 HTTP/1.1\r\n${host}Connection: close\r\n\r\n`),
        exchange(port, `GET / HTTP/1.1\r\n${host}X-Long: ${"a".repeat(9_000)}\r\n\r\n`),
        exchange(port, `GET /${"a".repeat(9_000)} HTTP/1.1\r\n${host}\r\n`),
        exchange(port, "GET / HTTP/1.1\r\n\r\n"),
        exchange(port, `POST /upload HTTP/1.1\r\n${host}Content-Length: 20000000\r\n\r\n`),
        exchange(port, ""),
        exchange(port, `GET / HTTP/1.1\r\n${host}\r\n`),
      ]);
      expect(passed.text).toMatch(/^HTTP\/1\.1 200 [^]*slow done$/);
      expect(longField.text).toMatch(/^HTTP\/1\.1 400 /);
      expect(longLine.text).toMatch(/^HTTP\/1\.1 414 /);
      expect(noHost.text).toMatch(/^HTTP\/1\.1 400 /);
      expect(tooLarge.text).toMatch(/^HTTP\/1\.1 413 /);
      expect(silent.end).toBe("closed");
      expect(silent.endMs).toBeLessThan(3_000);
      expect(idle.text).toMatch(/^HTTP\/1\.1 200 /);
      expect(idle.end).toBe("closed");
      expect(idle.endMs).toBeLessThan(3_000);
    }, 30_000);

    it("loses no GET and no POST, and sees no upstream reset, when one of two instances reloads and then stops", async () => {
      const [port, first, second] = [await freePort(), await freePort(), await freePort()];
      // nginx drops an idle upstream connection after 1 s, before mgr would (--keepalive 2).
      const args = ["-w", "2", "--keepalive", "2", "--graceful-timeout", "10"];
      const [leaving] = await Promise.all([startServing(runtime, APP, first, args), startServing(runtime, APP, second, args)]);
      await startNginx(port, [first, second], 1);

      const agent = new Agent({ keepAlive: true, maxSockets: 16 });
      const failures: string[] = [];
      let served = 0;
      let loading = true;
      // Pauses between requests leave nginx's pooled connections idle for up to 0.9 s: long enough for
      // a worker to close one for idleness just as nginx reuses it, if the drain closes them early.
      const client = async (method: "GET" | "POST", index: number) => {
        for (let turn = 0; loading; turn++) {
          await new Promise((resolve) => setTimeout(resolve, 100 + ((index * 7 + turn * 13) % 9) * 100));
          const outcome = await new Promise<string>((resolve) => {
            const req = httpRequest({ host: "127.0.0.1", port, path: "/slow?ms=5", method, agent }, (response) => {
              response.resume();
              response.on("end", () => resolve(response.statusCode === 200 ? "ok" : `${method} answered ${response.statusCode}`));
            });
            req.on("error", (error) => resolve(`${method} failed: ${error.message}`));
            req.setTimeout(10_000, () => req.destroy(new Error("no answer in 10 s")));
            req.end(method === "POST" ? "x".repeat(512) : undefined);
          });
          if (outcome === "ok") served++;
          else failures.push(outcome);
        }
      };
      const clients = Array.from({ length: 24 }, (_, index) => client(index % 2 === 0 ? "GET" : "POST", index));
      try {
        await waitFor("load through nginx", () => served > 30);
        leaving.signal("SIGHUP");
        await leaving.waitForLine(/Reload complete/, 20_000);
        const before = served;
        await waitFor("load after the reload", () => served > before + 60);
        leaving.signal("SIGTERM");
        expect((await leaving.waitForExit(20_000)).code).toBe(0);
        const after = served;
        await waitFor("load on the other instance", () => served > after + 60);
      } finally {
        loading = false;
        await Promise.all(clients);
        agent.destroy();
      }
      expect(failures).toEqual([]);
      const errors = readFileSync(join(dir!, "error.log"), "utf8").split("\n");
      expect(errors.filter((line) => /prematurely closed|reset by peer|\(104:/.test(line))).toEqual([]);
    }, 60_000);
  });
});
