/**
 * The entry point of a Deno worker process, spawned by the master with `deno run -A --unstable-net`.
 *
 * @module
 */

import { runWorker } from "../../src/runtime/worker-loop.ts";
import { disarmDebugSignal } from "./disarm-debug-signal.ts";
import { createDenoWorkerHost } from "./worker-host.ts";

// Before the app is imported: see disarm-debug-signal.ts.
disarmDebugSignal();
await runWorker(createDenoWorkerHost());
