/**
 * The slice of Deno's API this adapter uses, typed here so the adapter type-checks with Node's types
 * (`tsc -p tsconfig.json`) as well as with Deno's own (`deno check`).
 *
 * The binding is read off `globalThis` with a typed cast rather than declared (`declare const Deno`):
 * one exported value serves every file of the adapter, and under `deno check` it neither merges nor
 * conflicts with Deno's global namespace.
 *
 * @module
 */

import type { Signal } from "../../src/core/runtime.ts";

/** Signals the adapter listens for, on either side: the ones the master listens for cover the worker's too. */
export type DenoSignal = Signal;

/** What `Deno.serve` passes to a handler next to the request. */
export interface DenoServeHandlerInfo {
  remoteAddr: { hostname: string; port: number };
  completed: Promise<void>;
}

/** The options of `Deno.serve` used here: TCP, with SO_REUSEPORT. */
export interface DenoServeOptions {
  hostname: string;
  port: number;
  /** Needs `--unstable-net`. */
  reusePort: boolean;
  tcpBacklog?: number;
  /** Aborting it closes every connection at once (a forceful shutdown). */
  signal?: AbortSignal;
  onListen?: (address: { hostname: string; port: number }) => void;
  /** Answers for a handler that failed, and hears of a response stream that failed; prints nothing itself. */
  onError?: (error: unknown) => Response | Promise<Response>;
  handler: (request: Request, info: DenoServeHandlerInfo) => Response | Promise<Response>;
}

/** The server `Deno.serve` returns. */
export interface DenoHttpServer {
  /** Resolves once the server has closed. */
  finished: Promise<void>;
  /** Stops accepting, closes idle connections at once, and resolves when the busy ones are done. */
  shutdown(): Promise<void>;
}

/**
 * A C function's signature for `Deno.dlopen`: integers, sizes and pointers to buffers in, an integer
 * (or a signed size, which Deno may hand back as a bigint) out.
 */
export interface DenoForeignFunction {
  parameters: ("i32" | "usize" | "buffer")[];
  result: "i32" | "isize";
}

/** A library opened with `Deno.dlopen`, with the symbols it was opened with. */
export interface DenoDynamicLibrary {
  symbols: Record<string, ((...args: (number | ArrayBufferView)[]) => number | bigint) | undefined>;
}

/** A TCP address as Deno reports it. */
export interface DenoNetAddr {
  hostname: string;
  port: number;
}

/** A TCP connection accepted by a {@linkcode DenoListener}. */
export interface DenoConn {
  localAddr: DenoNetAddr;
  remoteAddr: DenoNetAddr;
  close(): void;
}

/** A listener from `Deno.listen`. */
export interface DenoListener {
  addr: DenoNetAddr;
  /** Rejects once the listener is closed or its socket stops listening. */
  accept(): Promise<DenoConn>;
  close(): void;
}

/** The options of `Deno.listen` used here. */
export interface DenoListenOptions {
  hostname: string;
  port: number;
  /** Needs `--unstable-net`. */
  reusePort?: boolean;
  tcpBacklog?: number;
}

/** The parts of the `Deno` namespace used by this adapter. */
export interface DenoApi {
  pid: number;
  version: { deno: string };
  build: { os: string };
  permissions: { querySync(descriptor: { name: string; kind?: string; host?: string }): { state: string } };
  env: { toObject(): Record<string, string> };
  execPath(): string;
  addSignalListener(signal: DenoSignal, handler: () => void): void;
  removeSignalListener(signal: DenoSignal, handler: () => void): void;
  listen(options: DenoListenOptions): DenoListener;
  statSync(path: string): { isFile: boolean };
  readDirSync(path: string): Iterable<{ name: string }>;
  readLinkSync(path: string): string;
  /** Needs `--allow-ffi` (workers run with `-A`); stable since Deno 2. */
  dlopen(path: string, symbols: Record<string, DenoForeignFunction>): DenoDynamicLibrary;
  serve(options: DenoServeOptions): DenoHttpServer;
  memoryUsage(): { rss: number };
  stderr: { writeSync(data: Uint8Array): number };
  stdout: { writeSync(data: Uint8Array): number };
  exit(code: number): never;
}

/** Deno's global namespace, typed by the slice above. Only valid when running on Deno. */
export const Deno: DenoApi = (globalThis as unknown as { Deno: DenoApi }).Deno;
