/**
 * The entry point of a Deno worker process, spawned by the master with `deno run -A --unstable-net`.
 *
 * @module
 */

import { runWorker } from "../../src/runtime/worker-loop.ts";
import { createDenoWorkerHost } from "./worker-host.ts";

await runWorker(createDenoWorkerHost());
