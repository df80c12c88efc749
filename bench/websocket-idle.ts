/**
 * What idle WebSockets cost a worker on each runtime: `npx tsx bench/websocket-idle.ts [--sockets N]
 * [--idle SECONDS] [--runtimes node,bun,deno]`. For each runtime, mgr serves examples/websocket.ts with
 * 2 workers; N sockets are opened (each echoes once), then left idle: the workers' RSS before and
 * after, per socket, and their CPU time while idle (pings included, `--ws-ping-interval` at its
 * default) are printed.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { WebSocket } = createRequire(import.meta.url)("ws") as typeof import("ws");
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const APP = join(ROOT, "examples/websocket.ts");
const CLOCK_TICKS_PER_S = 100;

const { values } = parseArgs({
  options: {
    sockets: { type: "string", default: "10000" },
    idle: { type: "string", default: "10" },
    runtimes: { type: "string", default: "node,bun,deno" },
  },
});
const sockets = Number(values.sockets);
const idleS = Number(values.idle);

const commands: Record<string, string[]> = {
  node: [process.execPath, join(ROOT, "dist/src/cli/bin.js")],
  bun: [join(ROOT, "node_modules/.bin/bun"), join(ROOT, "dist/src/cli/bin.js")],
  deno: [join(ROOT, "node_modules/.bin/deno"), "run", "-A", join(ROOT, "mgr.ts")],
};

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function measure(runtime: string): Promise<string> {
  const port = await freePort();
  const [command, ...args] = commands[runtime]!;
  const master = spawn(command!, [...args, APP, "-w", "2", "-b", `127.0.0.1:${port}`], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  master.stdout!.on("data", (chunk) => (log += chunk));
  master.stderr!.on("data", (chunk) => (log += chunk));
  try {
    await until("the pool", () => /Ready: 2 workers/.test(log), 30_000);
    const workers = childrenOf(master.pid!);
    const rssBefore = workers.map(rssBytes);
    const open: InstanceType<typeof WebSocket>[] = [];
    let echoed = 0;
    for (let batch = 0; batch < sockets; batch += 500) {
      const count = Math.min(500, sockets - batch);
      await Promise.all(Array.from({ length: count }, () => new Promise<void>((resolve, reject) => {
        const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`);
        socket.once("open", () => socket.send("hi"));
        socket.once("message", () => {
          echoed++;
          resolve();
        });
        socket.once("error", reject);
        open.push(socket);
      })));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const rssAfter = workers.map(rssBytes);
    const ticksBefore = workers.map(cpuTicks);
    await new Promise((resolve) => setTimeout(resolve, idleS * 1000));
    const idleCpuS = workers.map((pid, i) => (cpuTicks(pid) - ticksBefore[i]!) / CLOCK_TICKS_PER_S);
    const stillOpen = open.filter((socket) => socket.readyState === WebSocket.OPEN).length;
    // Heartbeats must keep flowing under the load of the sockets: no worker may have been replaced.
    const replaced = (log.match(/Booting worker/g)?.length ?? 0) - 2;
    for (const socket of open) socket.terminate();
    const grownMb = rssAfter.map((rss, i) => (rss - rssBefore[i]!) / 1024 / 1024);
    const perSocketKb = ((rssAfter.reduce((a, b) => a + b, 0) - rssBefore.reduce((a, b) => a + b, 0)) / sockets) / 1024;
    const idlePercent = idleCpuS.map((s) => ((s / idleS) * 100).toFixed(1));
    return `| ${runtime} | ${sockets} (${echoed} echoed, ${stillOpen} open after ${idleS} s, ${replaced} workers replaced) | ` +
      `${rssBefore.map((b) => (b / 1024 / 1024).toFixed(0)).join(" / ")} MB | ${grownMb.map((g) => `+${g.toFixed(0)}`).join(" / ")} MB | ` +
      `${perSocketKb.toFixed(1)} KB | ${idlePercent.join(" / ")}% |`;
  } finally {
    master.kill("SIGTERM");
    await new Promise((resolve) => master.once("exit", resolve));
  }
}

console.log(`${sockets} idle WebSockets on 2 workers (examples/websocket.ts), ${idleS} s idle`);
console.log("| runtime | sockets | workers' RSS before | growth | RSS per socket | idle CPU per worker |");
console.log("|---|---|---|---|---|---|");
for (const runtime of values.runtimes!.split(",")) console.log(await measure(runtime));
