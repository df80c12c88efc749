/**
 * The entry point of a Node worker process, forked by the master through `node:cluster`.
 *
 * @module
 */

import { runWorker } from "../../src/runtime/worker-loop.ts";
import { createNodeWorkerHost } from "./worker-host.ts";

await runWorker(createNodeWorkerHost());
