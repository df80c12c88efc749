/**
 * Long-lived connections through a worker's life, on every runtime: WebSockets that echo while a
 * SIGHUP reload replaces their workers, and an event stream stopped by SIGTERM. A draining worker keeps
 * them open until a second before `--graceful-timeout`, then closes each cleanly (1001 for a socket,
 * the last chunk for a stream), never with a reset; clients reconnect to the new workers.
 */

import { request as httpRequest } from "node:http";
import { createRequire } from "node:module";
import { afterAll, describe, expect, it } from "vitest";
import { destroyAllMasters, FIXTURES, freePort, RUNTIMES, startServing, waitFor } from "./harness.ts";

const { WebSocket } = createRequire(import.meta.url)("ws") as typeof import("ws");

const APP = `${FIXTURES}websocket-app.ts`;
const GRACEFUL_S = 3;
const SOCKETS = 200;
/** How late a close may come after the graceful deadline, on a loaded machine. */
const SLACK_MS = 1_500;

interface EchoClient {
  /** The pid that greeted the first connection, and the one after the reconnection. */
  pids: number[];
  /** The close of the first connection. */
  close?: { code: number; atMs: number };
  /** Messages sent on the first connection before its close, and those echoed back. */
  sent: number;
  echoed: number;
  /** An echo on the second connection came back. */
  reconnected: boolean;
  errors: string[];
}

/** Opens a socket, waits for its greeting, then sends numbered messages one at a time until it closes. */
function echoClient(port: number, startedAt: () => number): { client: EchoClient; opened: Promise<void> } {
  const client: EchoClient = { pids: [], sent: 0, echoed: 0, reconnected: false, errors: [] };
  let onOpened!: () => void;
  const opened = new Promise<void>((resolve) => (onOpened = resolve));
  const first = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  const sendNext = () => {
    if (first.readyState !== WebSocket.OPEN) return;
    first.send(`m${client.sent++}`);
  };
  first.on("message", (data) => {
    const text = String(data);
    if (text.startsWith("pid ")) {
      client.pids.push(Number(text.slice(4)));
      onOpened();
      sendNext();
      return;
    }
    if (text === `m${client.echoed}`) client.echoed++;
    else client.errors.push(`echo ${text} out of order (expected m${client.echoed})`);
    setTimeout(sendNext, 20);
  });
  first.on("error", (error) => client.errors.push(`first: ${error.message}`));
  first.on("close", (code) => {
    client.close = { code, atMs: Date.now() - startedAt() };
    // Reconnect, as a client of a restarting server does, and check one echo.
    const second = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    second.on("message", (data) => {
      const text = String(data);
      if (text.startsWith("pid ")) {
        client.pids.push(Number(text.slice(4)));
        second.send("again");
      } else if (text === "again") {
        client.reconnected = true;
        second.close(1000);
      }
    });
    second.on("error", (error) => client.errors.push(`second: ${error.message}`));
  });
  return { client, opened };
}

/** The body of a streaming GET as it arrives, and how it ended: cleanly (the last chunk) or cut. */
function watchStream(port: number, path: string): { chunks: string[]; ended: Promise<"complete" | "cut"> } {
  const chunks: string[] = [];
  const ended = new Promise<"complete" | "cut">((resolve) => {
    const req = httpRequest({ host: "127.0.0.1", port, path }, (response) => {
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => chunks.push(chunk));
      response.on("end", () => resolve(response.complete ? "complete" : "cut"));
      response.on("aborted", () => resolve("cut"));
      response.on("error", () => resolve("cut"));
    });
    req.on("error", () => resolve("cut"));
    req.end();
  });
  return { chunks, ended };
}

describe.each(RUNTIMES)("long-lived connections on %s", (runtime) => {
  afterAll(destroyAllMasters);
  // Each case has a master of its own and spends most of its time waiting on a deadline (the graceful
  // timeout, the ping timeout): run side by side, the waits overlap.

  it.concurrent(`closes ${SOCKETS} echoing WebSockets with 1001 by the graceful deadline of a SIGHUP reload, and they reconnect to the new workers`, async () => {
    const port = await freePort();
    const master = await startServing(runtime, APP, port, ["-w", "2", "--graceful-timeout", String(GRACEFUL_S)]);
    const oldWorkers = await master.waitForWorkers(2);
    let hupAt = 0;
    const clients = Array.from({ length: SOCKETS }, () => echoClient(port, () => hupAt));
    await Promise.all(clients.map(({ opened }) => opened));
    await waitFor("every socket to echo", () => clients.every(({ client }) => client.echoed >= 2));

    hupAt = Date.now();
    master.signal("SIGHUP");
    await waitFor(
      `every socket to reconnect\n${master.log}`,
      () => clients.every(({ client }) => client.reconnected || client.errors.length > 0),
      { timeoutMs: GRACEFUL_S * 1000 + 15_000 },
    );

    for (const { client } of clients) {
      const summary = JSON.stringify(client);
      expect(client.errors, summary).toEqual([]);
      if (runtime === "deno" && client.close?.code === 1006) {
        // Deno drops the connection, close frame unsent, when a client's message crosses the server's
        // close (ext/websocket: a message while CLOSING ends the socket at once): only then.
        expect(client.sent - client.echoed, summary).toBe(1);
      } else {
        expect(client.close?.code, summary).toBe(1001);
      }
      // Kept open through the drain, then closed before the master's deadline.
      expect(client.close!.atMs, summary).toBeGreaterThanOrEqual(GRACEFUL_S * 1000 - 1_500);
      expect(client.close!.atMs, summary).toBeLessThanOrEqual(GRACEFUL_S * 1000 + SLACK_MS);
      expect(oldWorkers, summary).toContain(client.pids[0]);
      expect(oldWorkers, summary).not.toContain(client.pids[1]);
      // One message at most may be in flight toward the server when it closes; every other was echoed.
      expect(client.sent - client.echoed, summary).toBeLessThanOrEqual(1);
    }
    expect(master.lines(/\[ERROR\]/)).toEqual([]);
  }, 60_000);

  it.concurrent("closes a socket with 1009 past --ws-max-size, and one that leaves pings unanswered past --ws-ping-interval and -timeout", async () => {
    const port = await freePort();
    await startServing(runtime, APP, port, ["-w", "1", "--ws-max-size", "1k", "--ws-ping-interval", "1", "--ws-ping-timeout", "1"]);
    const open = (autoPong: boolean) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, { autoPong });
      const seen = { greeted: false, echoes: [] as string[], closed: undefined as { code: number; atMs: number } | undefined };
      const openedAt = Date.now();
      socket.on("message", (data) => {
        if (String(data).startsWith("pid ")) seen.greeted = true;
        else seen.echoes.push(String(data));
      });
      socket.on("close", (code) => (seen.closed = { code, atMs: Date.now() - openedAt }));
      socket.on("error", () => {});
      return { socket, seen };
    };
    const sizes = open(true);
    await waitFor("the greeting", () => sizes.seen.greeted);
    sizes.socket.send("a".repeat(1024));
    await waitFor("the echo at the limit", () => sizes.seen.echoes.length === 1);
    sizes.socket.send("a".repeat(1025));
    await waitFor("the close past the limit", () => sizes.seen.closed !== undefined);
    expect(sizes.seen.closed!.code).toBe(1009);
    expect(sizes.seen.echoes).toHaveLength(1);

    // Bun's timer has a 4 s grain: it pings after ~4 s of silence and closes ~4 s later.
    const boundMs = runtime === "bun" ? 10_000 : 4_000;
    const [deaf, live] = [open(false), open(true)];
    await waitFor("the deaf client's close", () => deaf.seen.closed !== undefined, { timeoutMs: boundMs + 2_000 });
    expect(deaf.seen.closed!.atMs).toBeGreaterThanOrEqual(1_500);
    expect(deaf.seen.closed!.atMs).toBeLessThanOrEqual(boundMs);
    // The one that answers its pings stays.
    expect(live.seen.closed).toBeUndefined();
    live.socket.send("still here");
    await waitFor("the live client's echo", () => live.seen.echoes.includes("still here"));
    live.socket.close(1000);
  }, 30_000);

  it.concurrent("keeps an event stream through SIGTERM until the graceful deadline, then ends it cleanly", async () => {
    const port = await freePort();
    const master = await startServing(runtime, APP, port, ["-w", "1", "--graceful-timeout", String(GRACEFUL_S), "--keepalive", "1"]);
    // Gaps longer than --keepalive: idle is not what it is.
    const stream = watchStream(port, "/events?gapMs=1200");
    await waitFor("the first event", () => stream.chunks.length >= 1);
    const termAt = Date.now();
    master.signal("SIGTERM");
    const end = await stream.ended;
    const endedAfterMs = Date.now() - termAt;
    expect(end, stream.chunks.join("")).toBe("complete");
    expect(endedAfterMs).toBeGreaterThanOrEqual(GRACEFUL_S * 1000 - 1_500);
    expect(endedAfterMs).toBeLessThanOrEqual(GRACEFUL_S * 1000 + SLACK_MS);
    // Events kept coming during the drain, more than one keep-alive apart.
    expect(stream.chunks.join("").match(/^data: /gm)?.length).toBeGreaterThanOrEqual(2);
    expect((await master.waitForExit(5_000)).code).toBe(0);
  }, 30_000);
});
