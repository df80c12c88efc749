/**
 * The worker's side of Node: a `node:cluster` child talking to the master over the cluster channel.
 *
 * @module
 */

import { processWorkerHost } from "../../src/runtime/process-worker-host.ts";
import type { WorkerHost } from "../../src/runtime/worker-host.ts";
import { bodyStallOf } from "./body-stall.ts";
import { nodeHasStreamedBody } from "./streamed-body.ts";
import { importModule } from "./import-module.ts";
import { serveNode } from "./serve.ts";
import { nodeStackCaptureTarget } from "./hung-stack-target.ts";

/** Reads this worker's spec from the environment and builds its {@linkcode WorkerHost}. */
export function createNodeWorkerHost(): WorkerHost {
  const base = processWorkerHost(process);
  return {
    ...base,
    importModule,
    serve: (handler, options) => serveNode(handler, options, base.roundTrip),
    // The socket bounds body stalls (body-stall.ts).
    boundsBodyStalls: true,
    hasStreamedBody: nodeHasStreamedBody,
    bodyFaultOf: bodyStallOf,
    stackCapture: nodeStackCaptureTarget,
    clientOf(_request, info) {
      const incoming = (info as { incoming?: { socket?: { remoteAddress?: string }; httpVersion?: string } } | undefined)
        ?.incoming;
      return { address: incoming?.socket?.remoteAddress, httpVersion: incoming?.httpVersion };
    },
  };
}
