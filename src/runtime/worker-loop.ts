/**
 * The worker loop, written once for every runtime: load the app, run its setup, serve, prove the
 * event loop alive, count requests, ask to retire, and drain on request.
 *
 * @module
 */

import { createLogger } from "../core/logger.ts";
import { isToWorker, WORKER_EXIT_APP_LOAD, WORKER_EXIT_BOOT } from "../core/protocol.ts";
import { loadApp } from "./app.ts";
import type { LoadedApp } from "./app.ts";
import { registerClientResolver } from "./client-info.ts";
import { createClientResolver } from "./client-resolver.ts";
import { createRequestHandler, describeRequest } from "./request-handler.ts";
import { endableStream, isEventStream, LongLivedConnections } from "./long-lived.ts";
import { hasStreamedBody, markStreamedResponses } from "./stream-marking.ts";
import { ListenError } from "./worker-host.ts";
import type { WorkerHost, WorkerServer, WorkerSignal } from "./worker-host.ts";
import { loadWorkerHooks, type WorkerHookRunner } from "./worker-hooks.ts";
import { WorkerLogs } from "./worker-logs.ts";
import { errorMessage, errorStack } from "../core/error-text.ts";
import { emptyLatencyCounts, latencyBucket } from "../core/latency-histogram.ts";
import { countSentBytes } from "./sent-bytes.ts";
import { HEARTBEAT_REQUESTS, RequestsInFlight } from "./requests-in-flight.ts";

/** How long a worker whose master is gone may take to finish its requests, in milliseconds. */
export const PARENT_LOST_GRACE_MS = 750;

/**
 * How long after noticing that its master is gone a worker exits, whatever its drain or teardown is
 * doing, in milliseconds. With the parent pid polled every 500 ms (parent-watch.ts), no worker
 * outlives its master by more than 1.5 s: the promise is 2 s.
 */
export const PARENT_LOST_EXIT_MS = 1_000;
/**
 * How long a serving worker told to stop waits, after closing its server, for the master to answer a
 * ping. Until then the master may still be handing it a connection (Node's cluster round-robin); once
 * the answer is in, every connection sent before it has arrived and been refused back to the master.
 */
export const STOP_ROUND_TRIP_MS = 500;

/**
 * How often, at most, a worker with `maxRssBytes` reads its memory as requests finish, in
 * milliseconds. A read costs 8 µs on Node and 15-17 µs on Bun and Deno (measured), as much as a
 * hello-world request, so not every request pays it; and a leak of 20 MB a request, which takes
 * milliseconds to allocate, gets only a few requests past the limit in this time.
 */
export const RSS_CHECK_INTERVAL_MS = 10;

/**
 * `loading`: importing the app and running its setup. `booted`: set up, not serving yet (a spare
 * waiting for `serve`, or a worker starting to listen). `serving`, then `draining` on the way out.
 */
type WorkerState = "loading" | "booted" | "serving" | "draining";

/**
 * Signals meant for the master that a worker survives: an operator may send them to the whole
 * process group (`kill -USR2 -PGID`), and by default HUP and USR2 end a process, TTIN and TTOU stop
 * it. WINCH comes from the terminal on every resize, so it is logged only at debug level.
 */
const IGNORED_SIGNALS: readonly WorkerSignal[] = ["SIGHUP", "SIGUSR2", "SIGTTIN", "SIGTTOU", "SIGWINCH"];

/**
 * Runs one worker until it exits. The host supplies the runtime: the channel, the server, signals.
 *
 * @example
 * ```ts
 * await runWorker(createNodeWorkerHost());
 * ```
 */
export async function runWorker(host: WorkerHost): Promise<void> {
  const { spec } = host;
  host.setProcessTitle?.(`mgr: worker${spec.name ? ` [${spec.name}]` : ""}`);
  const logs = new WorkerLogs(spec, (text) => host.writeError(text), (text) => host.writeOutput(text));
  const log = createLogger({
    level: spec.logLevel,
    pid: host.pid,
    format: spec.logFormat,
    write: (line) => logs.error.write(`${line}\n`),
  });
  const self = { id: spec.id, pid: host.pid };
  let runHook: WorkerHookRunner = async () => {};
  let state: WorkerState = "loading";
  let served = 0;
  let inFlight = 0;
  // Named in the master's log if this worker hangs: the oldest few ride on each heartbeat.
  const requests = new RequestsInFlight();
  requests.publish();
  // WebSockets count as in flight until they close: a worker holding them is busy.
  const longLived = new LongLivedConnections();
  let retireSent = false;
  let app: LoadedApp | undefined;
  let server: WorkerServer | undefined;
  // A drain can arrive while the boot sequence awaits; a function keeps TypeScript from narrowing `state`.
  const drainRequested = () => state === "draining";

  // Request durations since the last heartbeat, which carries them to the master and starts anew.
  let latency = emptyLatencyCounts();
  const maxRssBytes = spec.maxRssBytes ?? 0;
  let rssCheckedAt = Number.NEGATIVE_INFINITY;
  // Started before the app is imported: a module that blocks its event loop at import time stops
  // the heartbeat, and the master's timeout catches it like any hung worker. How late its own timer
  // fires is the event loop's delay: one clock read per beat, on every runtime.
  let lastBeat = performance.now();
  const heartbeat = setInterval(() => {
    const now = performance.now();
    const loopDelayMs = Math.max(0, now - lastBeat - spec.heartbeatMs);
    lastBeat = now;
    const rss = host.rss();
    const named = requests.size > 0 ? requests.describe(now, HEARTBEAT_REQUESTS) : undefined;
    void host.send({ type: "heartbeat", served, inFlight: inFlight + longLived.size, rss, loopDelayMs, latency, requests: named });
    if (host.stackCapture?.closeStray()) {
      log.info("Closed the inspector a SIGUSR1 opened; reopening log files");
      logs.reopen();
    }
    latency = emptyLatencyCounts();
    if (state === "serving") checkRss(rss);
  }, spec.heartbeatMs);
  const checkRss = (rss: number) => {
    if (maxRssBytes <= 0 || retireSent || rss <= maxRssBytes) return;
    retireSent = true;
    void host.send({ type: "retire", served, reason: "max-rss", rss });
  };

  const finish = async (graceMs?: number): Promise<never> => {
    if (server) {
      const drained = server.drain();
      if (graceMs === undefined) await drained;
      else await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, graceMs))]);
    }
    if (app?.teardown) {
      try {
        await app.teardown();
      } catch (error) {
        log.error(`teardown() failed: ${errorStack(error)}`);
      }
    }
    await runHook("workerExit", self);
    clearInterval(heartbeat);
    // The last count, so the master's request total includes what was served since the last beat.
    await host.send({ type: "heartbeat", served, inFlight: 0, rss: host.rss(), latency });
    log.info(`Worker exiting (pid: ${host.pid})`);
    logs.close();
    return host.exit(0);
  };

  let onDrainStarted: () => void = () => {};
  const drainStarted = new Promise<void>((resolve) => (onDrainStarted = resolve));
  /**
   * `graceMs` bounds the wait for the server's drain (the master is gone); `goodbyeInMs` is when the
   * WebSockets still open are closed with 1001, just before the master's graceful deadline (at once
   * when there is none: a TERM sent to the worker itself).
   */
  const drain = (graceMs?: number, goodbyeInMs = 0) => {
    if (state === "draining") return;
    const booting = state === "loading" || state === "booted";
    state = "draining";
    onDrainStarted();
    const goodbye = () => {
      if (longLived.size > 0) log.info(`Closing ${longLived.size} WebSockets and event streams still open (going away)`);
      longLived.closeAll();
    };
    if (goodbyeInMs > 0) setTimeout(goodbye, goodbyeInMs);
    else goodbye();
    // A worker still booting finishes booting first; the boot sequence sees the state and stops.
    if (!booting) void finish(graceMs);
  };
  const stopNow = () => {
    logs.flush();
    return host.exit(0);
  };
  // `stop` means exit without waiting for requests: a serving worker abandons them and skips its
  // teardown, as Gunicorn's workers do on a quick shutdown. A worker that has set up but does not
  // serve yet has no request to abandon, and the master stops every such worker this way, at a
  // graceful stop or a reload too (a spare above all): it drains, teardown included. One still
  // loading its app exits at once: its setup has not finished, so there is nothing to tear down.
  const stop = () => {
    if (state === "booted") drain();
    else if (state === "serving") void stopServing();
    else stopNow();
  };
  // A quick stop abandons requests in progress, never a connection the master is still handing over.
  const stopServing = async () => {
    server?.close();
    await Promise.race([host.roundTrip(), new Promise((resolve) => setTimeout(resolve, STOP_ROUND_TRIP_MS))]);
    stopNow();
  };

  let startServing: () => void = () => {};
  const serveRequested = spec.mode === "standby" ? new Promise<void>((resolve) => (startServing = resolve)) : Promise.resolve();

  const ignore = (message: unknown) => log.warning(`Ignoring a message the worker does not know: ${describe(message)}`);
  host.onMessage((message) => {
    // The channel can carry anything (a newer master, a stray send): what is not known is logged, never obeyed.
    if (!isToWorker(message)) return ignore(message);
    switch (message.type) {
      case "serve":
        return startServing();
      case "drain":
        return drain(undefined, message.graceMs === undefined ? 0 : goodbyeDelay(message.graceMs));
      case "stop":
        return stop();
      case "reopen-logs":
        return logs.reopen();
      case "pong": // the channel's own, answered there
        return;
      default:
        return ignore(message satisfies never);
    }
  });
  host.onSignal("SIGTERM", () => drain());
  host.onSignal("SIGINT", stopNow);
  host.onSignal("SIGQUIT", stopNow);
  // Gunicorn's workers reopen their logs on USR1 too; left alone, Bun dies of it and Node and Deno
  // open an inspector port. Where the master captures a hung worker's stack through that inspector
  // (Node), USR1 is left to it, and a stray one is closed at the next heartbeat, logs reopened.
  if (host.stackCapture) host.stackCapture.arm();
  else host.onSignal("SIGUSR1", () => logs.reopen());
  for (const signal of IGNORED_SIGNALS) {
    host.onSignal(signal, () => {
      const line = `Worker ignores ${signal}: it is meant for the master`;
      if (signal === "SIGWINCH") log.debug(line);
      else log.info(line);
    });
  }
  host.onParentLost(() => {
    log.warning(`Master is gone; worker (pid: ${host.pid}) is exiting`);
    if (state === "loading") return stopNow();
    // Never outlive the master by more than this, whatever the drain or teardown is doing.
    setTimeout(stopNow, PARENT_LOST_EXIT_MS).unref?.();
    drain(PARENT_LOST_GRACE_MS);
  });

  // The first word to the master: it holds its messages until it hears from us, since a message that
  // arrives before the handlers above are in place would be lost.
  void host.send({ type: "heartbeat", served, inFlight: inFlight + longLived.size, rss: host.rss() });

  if (spec.mode !== "check") {
    void host.send({ type: "booting", step: "hooks" });
    runHook = await loadWorkerHooks(spec.configFile, (url) => host.importModule(url), log);
    await runHook("postFork", self);
  }

  try {
    // Each step is told to the master, which names it if this worker misses its boot deadline.
    void host.send({ type: "booting", step: "import" });
    app = await loadApp(spec.app, (url) => host.importModule(url));
    if (app.setup && spec.mode !== "check") {
      void host.send({ type: "booting", step: "setup" });
      await app.setup();
    }
  } catch (error) {
    clearInterval(heartbeat);
    await host.send({ type: "boot-error", kind: "app-load", message: errorMessage(error), stack: errorStack(error) });
    logs.close();
    return host.exit(WORKER_EXIT_APP_LOAD);
  }
  if (!drainRequested()) state = "booted";
  await host.send({ type: "booted" });
  if (spec.mode === "check") {
    clearInterval(heartbeat);
    return host.exit(0);
  }
  await runHook("postWorkerInit", self);
  // A spare waits here, app loaded, until the master needs it; a drain meanwhile ends it.
  await Promise.race([serveRequested, drainStarted]);
  if (drainRequested()) return finish();

  const env = globalEnv();
  const resolveClient = createClientResolver((request, info) => host.clientOf(request, info), spec.edge.forwardedAllowIps);
  registerClientResolver(resolveClient);
  const streamedBody = host.hasStreamedBody ? host.hasStreamedBody.bind(host) : hasStreamedBody;
  const handler = createRequestHandler({
    fetch: app.fetch,
    edge: spec.edge,
    log,
    serverBoundsStalls: host.boundsBodyStalls === true,
    serverBodyFault: host.bodyFaultOf?.bind(host),
    draining: drainRequested,
    lifecycle: {
      start(request) {
        inFlight++;
        return requests.add(request, performance.now());
      },
      finish(request, info, response, slot) {
        inFlight--;
        const started = requests.startedAt(slot);
        requests.delete(slot);
        served++;
        const now = performance.now();
        latency[latencyBucket(now - started)]!++;
        if (spec.maxRequests > 0 && !retireSent && served >= spec.maxRequests) {
          retireSent = true;
          void host.send({ type: "retire", served });
        }
        // A leak of megabytes per request passes any limit long before the next heartbeat.
        if (maxRssBytes > 0 && !retireSent && now - rssCheckedAt >= RSS_CHECK_INTERVAL_MS) {
          rssCheckedAt = now;
          checkRss(host.rss());
        }
        // An event stream runs until the drain's goodbye, which ends it cleanly. Only a response made
        // with a stream is asked for its headers: that costs, and most responses are not.
        const sent = streamedBody(response) && isEventStream(response) ? endableStream(response, longLived) : response;
        if (!logs.logsAccess) return sent;
        if (!logs.countsBytes) {
          logAccess(request, info, sent, started);
          return sent;
        }
        return countSentBytes(request, sent, (bytes) => logAccess(request, info, sent, started, bytes));
      },
    },
  });
  const logAccess = (request: Request, info: unknown, response: Response, started: number, bytesSent?: number) => {
    try {
      const client = resolveClient(request, info);
      const durationMicros = (performance.now() - started) * 1000;
      logs.logAccess({
        request,
        response,
        remoteAddress: client.address,
        httpVersion: client.httpVersion,
        startedAt: Date.now() - durationMicros / 1000,
        durationMicros,
        pid: host.pid,
        env,
        bytesSent,
      });
    } catch (error) {
      // The response goes out all the same; a line that cannot be formatted is not worth a request.
      log.error(`Cannot write the access log line for ${describeRequest(request)}: ${errorStack(error)}`);
    }
  };

  try {
    void host.send({ type: "booting", step: "listen" });
    server = await host.serve(handler, {
      bind: spec.bind,
      backlog: spec.backlog,
      keepaliveMs: spec.keepaliveMs,
      edge: spec.edge,
      // A client's fault is not the app's: one line at info, never a stack at error.
      logClientError: (message) => log.info(message),
      logAppError: (message) => log.error(message),
      websocket: app.websocket,
      longLived,
    });
  } catch (error) {
    clearInterval(heartbeat);
    if (error instanceof ListenError) {
      await host.send({ type: "boot-error", kind: "bind", message: error.message });
    } else {
      log.error(`Cannot serve: ${errorStack(error)}`);
    }
    logs.close();
    return host.exit(WORKER_EXIT_BOOT);
  }
  // The server's own Response class is in place now (Node's is installed as it starts).
  if (!host.hasStreamedBody) markStreamedResponses();
  if (drainRequested()) return finish();
  state = "serving";
  await host.send({ type: "ready" });
}

/** The environment, for the access log's `{NAME}e` atoms. */
function globalEnv(): Record<string, string | undefined> {
  return (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
}

/** A message for the log: its JSON, cut short. */
function describe(message: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(message) ?? String(message);
  } catch {
    text = String(message);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/**
 * When a draining worker closes its WebSockets, given the master's grace: a second before the master
 * would kill it (a quarter of the grace when that is shorter), so that every close handshake completes.
 */
export function goodbyeDelay(graceMs: number): number {
  return Math.max(0, graceMs - Math.min(1_000, graceMs / 4));
}
