/**
 * An example config: `npx mgr -c examples/mgr.config.ts`. Every key is optional; flags and MGR_*
 * variables override what is set here. In your project, `import { defineConfig } from "mgr"`.
 */
import { defineConfig } from "../src/mod.ts";

export default defineConfig({
  app: "examples/hello.ts",
  workers: 2,
  bind: "127.0.0.1:8000",
  timeout: 30,
  gracefulTimeout: 30,
  maxRequests: 10_000,
  maxRequestsJitter: 1_000,
  accessLog: "-",

  whenReady(server) {
    console.log(`mgr ${server.pid}: ${server.workers} workers serving`);
  },
  postWorkerInit(worker) {
    console.log(`worker ${worker.pid} ready`);
  },
});
