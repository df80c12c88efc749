/**
 * Steady, light HTTP load for chaos runs: paced clients, some holding one keep-alive connection each,
 * some opening a connection per request, every request with a deadline. Each client has at most one
 * request in flight, and a keep-alive client knows which worker its connection is on (`GET /pid`).
 *
 * @module
 */

import { Agent, get, type RequestOptions } from "node:http";

/** Options of {@linkcode startChaosLoad}. */
export interface ChaosLoadOptions {
  port: number;
  /** Clients that each keep one connection open and send every request on it. */
  keepAliveClients: number;
  /** Clients that open a new connection for every request. */
  freshClients: number;
  /** A client starts a request at most once per period, in milliseconds. */
  periodMs: number;
  /** A request with no complete response by then is a failure, in milliseconds. */
  timeoutMs: number;
  /**
   * How long a client waits after a failure before its next request, in milliseconds. Long enough for
   * the master to have seen a killed worker's exit, so that one kill costs a client at most one request.
   */
  pauseAfterFailureMs: number;
}

/** A request that got no 2xx response. */
export interface LoadFailure {
  client: number;
  fresh: boolean;
  /** When the request was sent and when it failed, in `Date.now()` milliseconds. */
  startedAt: number;
  endedAt: number;
  message: string;
}

/** One client's state, read when a worker is killed. */
export interface ClientState {
  fresh: boolean;
  /** Whether a request is outstanding now. */
  inFlight: boolean;
  /** The worker that answered this client's last request; undefined after a failure or before any answer. */
  lastPid?: number;
}

/** A running load; {@linkcode ChaosLoad.stop} ends it once every outstanding request has finished. */
export interface ChaosLoad {
  readonly ok: () => number;
  readonly failures: LoadFailure[];
  readonly clients: readonly ClientState[];
  /** Requests answered per worker pid. */
  readonly answeredBy: Map<number, number>;
  stop(): Promise<void>;
}

/** Starts the clients; keep-alive clients first, then fresh ones. */
export function startChaosLoad(options: ChaosLoadOptions): ChaosLoad {
  let running = true;
  let ok = 0;
  const failures: LoadFailure[] = [];
  const answeredBy = new Map<number, number>();
  const clients: ClientState[] = [
    ...Array.from({ length: options.keepAliveClients }, () => ({ fresh: false, inFlight: false })),
    ...Array.from({ length: options.freshClients }, () => ({ fresh: true, inFlight: false })),
  ];
  const agents: Agent[] = [];
  let wake: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (wake = resolve));
  const pause = (ms: number) =>
    Promise.race([stopped, new Promise<void>((resolve) => setTimeout(resolve, ms))]);

  const loops = clients.map(async (client, index) => {
    // One socket per keep-alive client, so that the worker it is on is the one that last answered.
    const agent = client.fresh ? false : new Agent({ keepAlive: true, maxSockets: 1 });
    if (agent) agents.push(agent);
    // Spread the clients over the period rather than start them all at once.
    await pause((options.periodMs * index) / clients.length);
    while (running) {
      const startedAt = Date.now();
      client.inFlight = true;
      const result = await requestPid({ host: "127.0.0.1", port: options.port, path: "/pid", agent }, options.timeoutMs);
      client.inFlight = false;
      if (typeof result === "number") {
        ok++;
        client.lastPid = result;
        answeredBy.set(result, (answeredBy.get(result) ?? 0) + 1);
        await pause(startedAt + options.periodMs - Date.now());
      } else {
        client.lastPid = undefined;
        failures.push({ client: index, fresh: client.fresh, startedAt, endedAt: Date.now(), message: result.message });
        await pause(options.pauseAfterFailureMs);
      }
    }
  });

  return {
    ok: () => ok,
    failures,
    clients,
    answeredBy,
    async stop() {
      running = false;
      wake();
      await Promise.all(loops);
      for (const agent of agents) agent.destroy();
    },
  };
}

/** GET /pid: resolves with the pid on a 2xx, or an Error saying what went wrong (never rejects). */
function requestPid(options: RequestOptions, timeoutMs: number): Promise<number | Error> {
  return new Promise((resolve) => {
    const request = get({ ...options, timeout: timeoutMs }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => {
        const status = response.statusCode ?? 0;
        resolve(status >= 200 && status < 300 ? Number(body) : new Error(`status ${status}`));
      });
      response.on("error", resolve);
    });
    // `timeout` is an idle timeout on the socket; this bounds the whole request as well.
    const deadline = setTimeout(() => request.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    request.on("timeout", () => request.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    request.on("error", resolve);
    request.on("close", () => clearTimeout(deadline));
  });
}
