/**
 * What the in-process tests of the Node server's HTTP edge share: `serveNode` on a real port of
 * 127.0.0.1, spoken to with raw sockets, each server closed after its test, and what serveNode prints
 * recorded rather than shown. Timings use real time (Node's own timers are under test).
 *
 * @module
 */

import { connect } from "node:net";
import { afterAll, afterEach, beforeAll } from "vitest";
import { serveNode } from "../../adapters/node/serve.ts";
import { DEFAULTS } from "../../src/core/config.ts";
import type { HttpEdge } from "../../src/core/protocol.ts";
import { buildHttpEdge } from "../../src/core/worker-spec.ts";
import type { FetchHandler } from "../../src/runtime/app.ts";
import { LongLivedConnections } from "../../src/runtime/long-lived.ts";
import type { WorkerServer } from "../../src/runtime/worker-host.ts";
import { freePort } from "../behaviour/harness.ts";

export interface Started {
  port: number;
  clientErrors: string[];
  appErrors: string[];
}

const servers: WorkerServer[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
  printed.length = 0;
});

// What reaches console.error, recorded beneath the filter serveNode puts over it (once per process).
export const printed: unknown[][] = [];
const consoleError = console.error;
beforeAll(() => {
  console.error = (...args: unknown[]) => void printed.push(args);
});
afterAll(() => {
  console.error = consoleError;
});

export async function start(handler: FetchHandler, edge: Partial<HttpEdge> = {}, keepaliveMs = 5_000): Promise<Started> {
  const port = await freePort();
  const started: Started = { port, clientErrors: [], appErrors: [] };
  servers.push(
    await serveNode(handler, {
      bind: [{ host: "127.0.0.1", port }],
      backlog: 64,
      keepaliveMs,
      edge: { ...buildHttpEdge(DEFAULTS), ...edge },
      logClientError: (message) => started.clientErrors.push(message),
      logAppError: (message) => started.appErrors.push(message),
      longLived: new LongLivedConnections(),
    }),
  );
  return started;
}

export const hello: FetchHandler = () => new Response("hello");

export interface Exchange {
  /** Everything received, as latin1. */
  data: string;
  /** The status of each response received, in order. */
  statuses: number[];
  /** True if the server closed the connection (FIN or reset) before the deadline. */
  closed: boolean;
  /** Milliseconds from connect to close (or to the deadline). */
  ms: number;
}

/**
 * Connects, writes `chunks` (`gapMs` apart), and collects what comes back until the server closes the
 * connection, `until(data)` holds, or `deadlineMs` passes.
 */
export function exchange(
  port: number,
  chunks: (string | Buffer)[],
  { gapMs = 0, deadlineMs = 5_000, until, endWrite = false }: {
    gapMs?: number;
    deadlineMs?: number;
    until?: (data: string) => boolean;
    endWrite?: boolean;
  } = {},
): Promise<Exchange> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, "127.0.0.1");
    let data = "";
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const statuses = [...data.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]));
      resolve({ data, statuses, closed, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), deadlineMs);
    socket.on("data", (bytes) => {
      data += bytes.toString("latin1");
      if (until?.(data)) finish(false);
    });
    socket.on("close", () => finish(true));
    socket.on("error", () => finish(true));
    void (async () => {
      for (const chunk of chunks) {
        if (settled || socket.destroyed) return;
        socket.write(chunk);
        if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
      }
      if (endWrite && !socket.destroyed) socket.end();
    })();
  });
}

export const get = (target = "/", fields = "Host: a\r\n") => `GET ${target} HTTP/1.1\r\n${fields}Connection: close\r\n\r\n`;
export const fields = (count: number) => Array.from({ length: count }, (_, i) => `X-F${i}: v\r\n`).join("");

