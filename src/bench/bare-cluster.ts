/**
 * The baseline: bare `node:cluster` serving the benchmark app with `@hono/node-server`'s `serve()`,
 * the way a Node user would write it without mgr. Run with `node --import tsx`, which loads the app
 * through tsx as mgr's workers do.
 *
 * Usage: `node --import tsx src/bench/bare-cluster.ts APP[:EXPORT] PORT [WORKERS]`; prints a line
 * `ready: N workers listening on http://127.0.0.1:PORT` once every worker listens.
 *
 * @module
 */

import cluster from "node:cluster";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { serve } from "@hono/node-server";

const [appPath, portArg, workersArg = "2"] = process.argv.slice(2);
const port = Number(portArg);
const workers = Number(workersArg);
if (!appPath || !Number.isInteger(port) || !Number.isInteger(workers) || workers < 1) {
  process.stderr.write("Usage: node --import tsx src/bench/bare-cluster.ts APP[:EXPORT] PORT [WORKERS]\n");
  process.exit(2);
}

if (cluster.isPrimary) {
  // The policy mgr picks (adapters/node/scheduling-policy.ts): the workers share the listening
  // socket unless NODE_CLUSTER_SCHED_POLICY=rr, so that the two are always compared in one mode.
  cluster.schedulingPolicy = process.env.NODE_CLUSTER_SCHED_POLICY === "rr" ? cluster.SCHED_RR : cluster.SCHED_NONE;
  let listening = 0;
  cluster.on("listening", () => {
    if (++listening === workers) {
      process.stdout.write(`ready: ${workers} workers listening on http://127.0.0.1:${port}\n`);
    }
  });
  // A baseline that loses a worker is no baseline: stop, and let the benchmark report it.
  cluster.on("exit", (worker, code, signal) => {
    process.stderr.write(`worker ${worker.process.pid} exited (code ${code}, signal ${signal})\n`);
    process.exit(1);
  });
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  // `path:name` names another export than the default, as mgr's APP does.
  const [, path = appPath, name = "default"] = /^(.+?)(?::([A-Za-z_$][\w$]*))?$/.exec(appPath) ?? [];
  const module = (await import(pathToFileURL(resolve(path)).href)) as Record<string, { fetch: Parameters<typeof serve>[0]["fetch"] }>;
  const app = module[name]!;
  serve({ fetch: app.fetch.bind(app), port, hostname: "127.0.0.1" });
}
