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
}

/** Options of `Bun.serve` that the adapter passes. */
export interface BunServeOptions {
  hostname: string;
  port: number;
  reusePort: boolean;
  /** Seconds an idle connection stays open; 0 disables the timeout; at most 255. */
  idleTimeout: number;
  development: boolean;
  fetch(request: Request, server: BunServer): Response | Promise<Response>;
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
