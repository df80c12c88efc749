/**
 * A draining Node worker lets its keep-alive connections go a few at a time (adapters/node/drain-pace.ts):
 * at a SIGHUP, clients busy on keep-alive connections are told `Connection: close` over a few hundred
 * milliseconds, not all in the same instant, and none of their requests fails. On every Node of
 * RUNTIMES_WITH_FLOOR.
 *
 * @module
 */

import { Agent, get as httpGet } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { destroyAllMasters, FIXTURES, freePort, RUNTIMES_WITH_FLOOR, runtimeFamily, startServing, waitFor } from "./harness.ts";

const NODES = RUNTIMES_WITH_FLOOR.filter((runtime) => runtimeFamily(runtime) === "node");
const CLIENTS = 10;

afterEach(destroyAllMasters);

/** What a client saw: answers, failures, and when it was told to close. */
interface ClientLog {
  answers: number;
  failures: string[];
  closedAt?: number;
}

/** One client on a keep-alive connection of its own, in a loop until told to close. */
async function clientUntilClosed(port: number, deadline: number, log: ClientLog): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const { failures } = log;
  try {
    while (Date.now() < deadline) {
      const close = await new Promise<boolean>((resolve) => {
        const request = httpGet({ host: "127.0.0.1", port, path: "/", agent }, (response) => {
          response.resume();
          response.on("end", () => resolve(response.headers.connection === "close"));
        });
        request.on("error", (error) => {
          failures.push(String(error));
          resolve(false);
        });
      });
      log.answers++;
      if (close) {
        log.closedAt = Date.now();
        return;
      }
    }
  } finally {
    agent.destroy();
  }
}

describe.each(NODES)("a draining worker on %s", (runtime) => {
  it("tells its keep-alive clients to close a few at a time, and loses no request", async () => {
    const port = await freePort();
    const master = await startServing(runtime, `${FIXTURES}app.ts`, port, ["-w", "1"]);
    const deadline = Date.now() + 15_000;
    const logs: ClientLog[] = Array.from({ length: CLIENTS }, () => ({ answers: 0, failures: [] }));
    const clients = logs.map((log) => clientUntilClosed(port, deadline, log));
    // Every client on its connection to the one worker, answered, before the reload.
    await waitFor("every client to be answered", () => logs.every((log) => log.answers > 0), { timeoutMs: 5_000 });
    master.signal("SIGHUP");
    await Promise.all(clients);
    expect(logs.flatMap((log) => log.failures)).toEqual([]);
    const closedAt = logs.map((log) => log.closedAt).filter((at): at is number => at !== undefined);
    expect(closedAt).toHaveLength(CLIENTS);
    // Released over 300 ms: the first and the last are more than half of it apart (all at once: a few ms).
    expect(Math.max(...closedAt) - Math.min(...closedAt)).toBeGreaterThan(150);
  });
});
