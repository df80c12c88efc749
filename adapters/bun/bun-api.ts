/**
 * The slice of Bun's API the adapter uses, typed here so the project type-checks with Node's types
 * alone (no `@types/bun`). Each file that touches Bun declares `declare const Bun: …` with the part it
 * needs, module-local, as Hono's adapters do; this module holds only types.
 *
 * @module
 */

/** Options of `Bun.spawn` that the adapter passes. */
export interface BunSpawnOptions {
  env: Record<string, string | undefined>;
  stdio: ["inherit", "inherit", "inherit"];
  /** Opens an IPC channel to a Bun child; called for each message it sends with `process.send`. */
  ipc(message: unknown): void;
  /** Called once when the IPC channel has closed; no message is delivered after it. */
  onDisconnect(): void;
}

/** A process started by `Bun.spawn`. */
export interface BunSubprocess {
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number>;
  readonly exitCode: number | null;
  readonly signalCode: string | null;
  /** @throws when the channel is closed. */
  send(message: unknown): void;
  kill(signal?: string): void;
}

/** The `server` a `Bun.serve` fetch handler receives as its second argument. */
export interface BunServer {
  /** Stops listening; in-flight requests finish. `true` closes every connection now. */
  stop(closeActiveConnections?: boolean): Promise<void>;
  /** The client's address for a request this server is handling. */
  requestIP(request: Request): { address: string; port: number } | null;
  /**
   * Sets the idle timeout, in seconds (0: none), of the connection `request` came on; does nothing
   * once the response to `request` is done. The value stays with the connection.
   */
  timeout(request: Request, seconds: number): void;
  /** How many requests this server has in flight: handlers at work, bodies streaming either way. */
  readonly pendingRequests: number;
}

/** Options of `Bun.serve` that the adapter passes. */
export interface BunServeOptions {
  hostname: string;
  port: number;
  reusePort: boolean;
  /** Seconds an idle connection stays open; 0 disables the timeout; at most 255. */
  idleTimeout: number;
  /** Largest request body in bytes (Content-Length or chunked); Bun answers 413 over it. 0 refuses every body. */
  maxRequestBodySize: number;
  development: boolean;
  fetch(request: Request, server: BunServer): Response | Promise<Response>;
  /** Answers for an error thrown or rejected by `fetch`; without it Bun prints the error. */
  error(error: unknown): Response;
  /** The WebSocket handlers of the sockets `server.upgrade()` opens. */
  websocket?: object;
}

/** An error `Bun.serve` throws when it cannot listen. */
export interface BunListenError extends Error {
  code?: string;
}

/** The `Bun` global, as far as the adapter uses it. */
export interface BunGlobal {
  readonly version: string;
  spawn(command: string[], options: BunSpawnOptions): BunSubprocess;
  serve(options: BunServeOptions): BunServer;
}
