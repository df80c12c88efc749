/**
 * What the shared worker loop needs from a runtime, on the worker's side: a channel to the master,
 * signals, and a server that can drain without losing a request.
 *
 * @module
 */

import { formatAddress } from "../core/config.ts";
import type { FromWorker, HttpEdge, ListenAddress, WorkerSpec } from "../core/protocol.ts";
import type { FetchHandler } from "./app.ts";
import type { LoadedApp } from "./app.ts";
import type { BodyFault } from "./body-guard.ts";
import type { LongLivedConnections } from "./long-lived.ts";
import type { StackCaptureTarget } from "./stack-capture-target.ts";

/** Options of {@linkcode WorkerHost.serve}. */
export interface ServeOptions {
  bind: ListenAddress[];
  backlog: number;
  /**
   * How long an idle keep-alive connection stays open, in milliseconds. Idle only: a handler at work,
   * a body streaming either way, is never cut by it.
   */
  keepaliveMs: number;
  /** The limits and timeouts every request meets; the server enforces what it can, the same on every runtime. */
  edge: HttpEdge;
  /** Logs a client's fault (a malformed or oversized request, a slow or vanished client): one line, no stack. */
  logClientError(message: string): void;
  /**
   * Logs the app's fault that the server meets after the handler has returned (a response header it
   * cannot send, a body stream that fails): one line at error, the stack included.
   */
  logAppError(message: string): void;
  /** The app's WebSocket handlers, as it exported them ({@linkcode LoadedApp.websocket}). */
  websocket?: object | true;
  /** Where the server counts the WebSockets it opens, until they close. */
  longLived: LongLivedConnections;
}

/** A server a worker runs with its runtime's native HTTP stack. */
export interface WorkerServer {
  /**
   * Stops accepting connections, tells every client from now on to close (`Connection: close`),
   * closes keep-alive connections once they have been idle for a short grace, and resolves when the
   * last connection is gone.
   */
  drain(): Promise<void>;
  /** Closes every connection now. */
  close(): void;
}

/** An address a worker could not listen on. */
export class ListenError extends Error {
  override name = "ListenError";
  constructor(readonly address: ListenAddress, readonly reason: string) {
    super(`Cannot listen on ${formatAddress(address)}: ${reason}`);
  }
}

/** The client of one request, as far as the runtime tells. */
export interface ClientInfo {
  address?: string;
  /** `1.1`, `2.0`… */
  httpVersion?: string;
}

/** Why Bun and Deno workers cannot serve a socket the master inherited (`fd://3`), for errors that say so. */
export const INHERITED_SOCKETS_UNSUPPORTED = "workers on this runtime listen themselves, with SO_REUSEPORT, and " +
  "cannot serve a file descriptor; run mgr on Node for fd:// and socket activation, or bind HOST:PORT";

/** Why Bun and Deno workers cannot serve a unix socket, for errors that say so. */
export const UNIX_SOCKETS_UNSUPPORTED = "workers on this runtime each own a listener, shared through " +
  "SO_REUSEPORT, which unix sockets do not have; run mgr on Node for unix sockets, or bind a TCP address";

/**
 * The signals a worker handles: the three that end it, and those an operator sends to the master
 * that may reach a worker too (`kill -USR2 -PGID` signals the whole process group), which a worker
 * must survive. Not SIGPIPE: every runtime ignores it already, and a handler would run on every
 * write to a connection the client has closed.
 */
export type WorkerSignal =
  | "SIGTERM"
  | "SIGINT"
  | "SIGQUIT"
  | "SIGHUP"
  | "SIGUSR1"
  | "SIGUSR2"
  | "SIGWINCH"
  | "SIGTTIN"
  | "SIGTTOU";

/** The worker's side of one runtime. */
export interface WorkerHost {
  spec: WorkerSpec;
  pid: number;
  /** Sends a message to the master; resolves once the channel has taken it. Never rejects. */
  send(message: FromWorker): Promise<void>;
  /**
   * Resolves once the master has answered a ping, so every message it sent before has arrived; at
   * once if the master is gone. Never rejects.
   */
  roundTrip(): Promise<void>;
  /**
   * Calls `fn` with every message from the master but the answers to {@linkcode roundTrip}. The
   * channel can carry anything: the worker loop tells a `ToWorker` from the rest.
   */
  onMessage(fn: (message: unknown) => void): void;
  /** Calls `fn` once if the master goes away (killed, crashed) while this worker runs. */
  onParentLost(fn: () => void): void;
  onSignal(signal: WorkerSignal, fn: () => void): void;
  /** Imports a module by URL, with whatever the runtime needs to read TypeScript. */
  importModule(url: string): Promise<unknown>;
  /**
   * Serves `handler` on every address in `options.bind`.
   *
   * @throws {ListenError} when an address cannot be listened on.
   */
  serve(handler: FetchHandler, options: ServeOptions): Promise<WorkerServer>;
  /** Resident set size of this process, in bytes. */
  rss(): number;
  /** What the runtime knows of the client of `request`, from the `info` its server passed along. */
  clientOf(request: Request, info: unknown): ClientInfo;
  /** Writes text as it is to standard error. */
  writeError(text: string): void;
  /** Writes text as it is to standard output. */
  writeOutput(text: string): void;
  /**
   * True when the server itself fails the read of a request body that stalls longer than
   * `edge.bodyTimeoutMs` (the read rejects with a `BodyTimeoutError` from body-guard.ts, answered 408,
   * or the connection is closed). The worker loop then guards a body only to bound its size (a chunked
   * one over `edge.limitRequestBody`): on Node, mgr's own guard costs ~15 µs per request with a body,
   * measured (@hono/node-server's lightweight request slows down once changed), where a socket timeout
   * is free.
   */
  boundsBodyStalls?: boolean;
  /**
   * The fault the server itself found with the body of the request `info` came with (with
   * {@linkcode boundsBodyStalls}: `"stalled"`), so that a 500 the app's framework made of the failed
   * read is answered and logged for what it is. Asked only when a request failed.
   */
  bodyFaultOf?(info: unknown): BodyFault | undefined;
  /**
   * True when `response` was made with a stream body, where the server's Response class tells it
   * cheaply; without it the worker marks such responses itself (stream-marking.ts).
   */
  hasStreamedBody?(response: Response): boolean;
  /** Sets the process title shown by `ps`, where the runtime can. */
  setProcessTitle?(title: string): void;
  /** Where the master can capture this worker's stack if it hangs (see stack-capture-target.ts). */
  stackCapture?: StackCaptureTarget;
  exit(code: number): never;
}
