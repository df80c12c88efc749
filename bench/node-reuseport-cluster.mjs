/**
 * A throwaway `node:cluster` pool for bench/node-reuseport.ts, in two modes that differ only in how
 * the workers get connections:
 *
 * - `shared`: `cluster.SCHED_NONE`, as mgr's Node master runs today: the primary owns one listening
 *   socket, every worker accepts from it.
 * - `reuseport`: each worker binds a socket of its own with `{ reusePort: true, exclusive: true }`
 *   (Node 22.12+ / 23.1+), and the kernel spreads connections over them by hashing.
 *
 * Workers serve bench/apps/hello.mjs through `@hono/node-server`'s request listener, as mgr's do.
 * Plain JavaScript so that the Node under test runs it without a loader.
 *
 * Usage: `node bench/node-reuseport-cluster.mjs shared|reuseport PORT WORKERS`. Prints `ready` once
 * every worker listens, then answers lines on stdin:
 * - `counts`: prints `counts {"PID":[requests,connections],…}`, cumulative, for the live workers.
 * - `swap`: forks a worker, waits until it listens, then has the oldest close its listener, finish
 *   its connections and exit (a recycle's drain); prints `swapped` once the old one has exited.
 *
 * @module
 */

import cluster from "node:cluster";
import { createServer } from "node:http";
import { createInterface } from "node:readline";
import { getRequestListener } from "@hono/node-server";

const [mode, portArg, workersArg] = process.argv.slice(2);
const port = Number(portArg);
const size = Number(workersArg);
if ((mode !== "shared" && mode !== "reuseport") || !Number.isInteger(port) || !Number.isInteger(size) || size < 1) {
  process.stderr.write("Usage: node bench/node-reuseport-cluster.mjs shared|reuseport PORT WORKERS\n");
  process.exit(2);
}

if (cluster.isPrimary) {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  /** Live workers, oldest first. */
  const pool = [];
  const waiting = new Map();

  const fork = () =>
    new Promise((resolve) => {
      const worker = cluster.fork({ MODE: mode });
      worker.on("message", (message) => {
        if (message.type === "listening") resolve(worker);
        else if (message.type === "counts") waiting.get(worker.id)?.(message);
      });
      pool.push(worker);
    });

  const counts = async () => {
    const answers = await Promise.all(
      pool.map(
        (worker) =>
          new Promise((resolve) => {
            waiting.set(worker.id, (m) => resolve([worker.process.pid, [m.requests, m.connections]]));
            worker.send({ type: "counts" });
          }),
      ),
    );
    return Object.fromEntries(answers);
  };

  const swap = async () => {
    await fork();
    const old = pool.shift();
    await new Promise((resolve) => {
      old.once("exit", resolve);
      old.send({ type: "drain" });
    });
  };

  cluster.on("exit", (worker, code, signal) => {
    if (code !== 0 || signal) process.stderr.write(`worker ${worker.process.pid} exited (code ${code}, signal ${signal})\n`);
  });
  await Promise.all(Array.from({ length: size }, fork));
  process.stdout.write("ready\n");
  // One command at a time, in order.
  let queue = Promise.resolve();
  createInterface({ input: process.stdin }).on("line", (line) => {
    queue = queue.then(async () => {
      if (line === "counts") process.stdout.write(`counts ${JSON.stringify(await counts())}\n`);
      else if (line === "swap") {
        await swap();
        process.stdout.write("swapped\n");
      }
    });
  });
  process.stdin.on("end", () => process.exit(0));
} else {
  const app = (await import("./apps/hello.mjs")).default;
  const listener = getRequestListener(app.fetch);
  let requests = 0;
  let connections = 0;
  const server = createServer((request, response) => {
    requests++;
    void listener(request, response);
  });
  server.keepAliveTimeout = 5_000;
  server.on("connection", () => connections++);
  const options = { host: "127.0.0.1", port, backlog: 511 };
  if (process.env.MODE === "reuseport") Object.assign(options, { reusePort: true, exclusive: true });
  server.listen(options, () => process.send({ type: "listening" }));
  process.on("message", (message) => {
    if (message.type === "counts") process.send({ type: "counts", requests, connections });
    else if (message.type === "drain") {
      // As a draining mgr worker: stop accepting, let keep-alive connections go once idle, exit.
      server.close(() => process.exit(0));
      server.closeIdleConnections();
    }
  });
}
