/**
 * `--worker-connections N`: the most connections one worker holds at once, and what each runtime does
 * with the next one: Node closes it unanswered, Deno leaves it queued until a connection closes, Bun
 * does not limit (Bun.serve has no way to bound or pause its accepting).
 */

import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { destroyAllMasters, FIXTURES, freePort, Master, RUNTIMES_WITH_FLOOR, runtimeFamily, waitFor } from "./harness.ts";

/** A keep-alive client connection that sends one GET and records what comes back. */
class Client {
  readonly socket: Socket;
  received = "";
  ended = false;

  constructor(port: number) {
    this.socket = connect({ host: "127.0.0.1", port });
    this.socket.setEncoding("utf8");
    this.socket.on("data", (chunk: string) => (this.received += chunk));
    this.socket.on("close", () => (this.ended = true));
    this.socket.on("error", () => (this.ended = true));
    this.socket.write("GET / HTTP/1.1\r\nHost: test\r\n\r\n");
    clients.push(this);
  }

  get answered(): boolean {
    return this.received.startsWith("HTTP/1.1 200");
  }
}

const clients: Client[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.destroy();
  await destroyAllMasters();
});

describe.each(RUNTIMES_WITH_FLOOR)("--worker-connections on %s", (runtime) => {
  it("holds at most N connections in one worker, and says what happens to the next", async () => {
    const port = await freePort();
    // Not startServing: its pooled keep-alive connection would count as one of the two.
    const master = new Master(runtime, [`${FIXTURES}app.ts`, "-b", `127.0.0.1:${port}`, "-w", "1", "--worker-connections", "2", "--keepalive", "30"]);
    await master.waitForLine(/Ready: 1 worker serving/, 15_000);
    const held = [new Client(port), new Client(port)];
    await waitFor("two connections answered and kept open", () => held.every((c) => c.answered && !c.ended));

    const third = new Client(port);
    if (runtimeFamily(runtime) === "node") {
      // Closed as the cluster master hands it over, without an answer.
      await waitFor("the third connection to be closed", () => third.ended);
      expect(third.received).toBe("");
    } else if (runtime === "deno") {
      // Queued in the kernel: not answered while two are held, answered once one closes.
      const deadline = Date.now() + 500;
      await waitFor("half a second", () => Date.now() > deadline);
      expect(third.received).toBe("");
      expect(third.ended).toBe(false);
      held[0]!.socket.destroy();
      await waitFor("the third connection to be answered", () => third.answered);
    } else {
      // Bun: not limited.
      await waitFor("the third connection to be answered", () => third.answered);
    }
    // Room again: a new connection is served once the worker has seen the two close. Until it has,
    // Node still counts them and closes a newcomer, so a client that is turned away tries again.
    held[1]!.socket.destroy();
    held[0]!.socket.destroy();
    let later = new Client(port);
    await waitFor("a later connection to be answered", () => {
      if (later.ended && !later.answered) later = new Client(port);
      return later.answered;
    });
  }, 30_000);
});
