/**
 * The entry point of a Bun worker process, spawned by the master with `Bun.spawn`.
 *
 * @module
 */

import { runWorker } from "../../src/runtime/worker-loop.ts";
import { createBunWorkerHost } from "./worker-host.ts";

await runWorker(createBunWorkerHost());
