/**
 * The internal Deno API that serves HTTP on one connection at a time, feature-detected.
 *
 * `Deno.serve` accepts connections itself and shows the handler requests only, so it can bound
 * nothing about a connection: one that never sends a request, sends its head a byte at a time, or
 * idles between keep-alive requests stays open as long as the client likes (measured: still open
 * after 100 s). `serveHttpOnConnection(conn, signal, handler, onError, onListen)` is what
 * `Deno.serve` runs for each connection it accepts (`ext/http/00_serve.ts`): called on a connection
 * from `Deno.listen`, it gives that connection a server of its own, whose `shutdown()` closes it once
 * its response in progress (if any) is complete. (Its `signal` closes it at once, but aborting it
 * after `shutdown()`, or as the connection ends, throws `BadResource` from the signal's listener,
 * which ends the process: the worker passes none.)
 *
 * It is reached through `Deno[Deno.internal]`, which Deno may change in any release: every part is
 * checked before use, and without it the worker falls back to `Deno.serve` (serve.ts says what is
 * then lost).
 *
 * @module
 */

import type { DenoConn, DenoServeHandlerInfo } from "./deno-api.ts";

/** The server `serveHttpOnConnection` runs for one connection. */
export interface ConnectionHttpServer {
  /**
   * Settles when the connection is gone. Rejects when the client resets it (`ECONNRESET`): left
   * unhandled, that rejection would end the worker.
   */
  finished: Promise<void>;
  /** Closes the connection at once if it is idle or has not sent a request, else after the response in progress. */
  shutdown(): Promise<void>;
}

/** Serves HTTP on one accepted connection; aborting `signal` closes it at once. */
export type ServeHttpOnConnection = (
  conn: DenoConn,
  signal: AbortSignal | undefined,
  handler: (request: Request, info: DenoServeHandlerInfo) => Response | Promise<Response>,
  onError: (error: unknown) => Response | Promise<Response>,
  onListen: (scheme: string) => void,
) => ConnectionHttpServer;

/** What the per-connection server needs from Deno's internals. */
export interface ConnectionServing {
  serveHttpOnConnection: ServeHttpOnConnection;
  /** The file descriptor of an accepted connection, where Deno tells it (for answering 408 before closing). */
  descriptorOf(conn: DenoConn): number | undefined;
}

interface DenoInternals {
  serveHttpOnConnection?: unknown;
  core?: { internalFdSymbol?: unknown };
}

/** The per-connection serving API of this Deno, or undefined if it lacks it. */
export function findConnectionServing(): ConnectionServing | undefined {
  const deno = (globalThis as { Deno?: { internal?: unknown } & Record<PropertyKey, unknown> }).Deno;
  const key = deno?.internal;
  if (typeof key !== "symbol" && typeof key !== "string") return undefined;
  const internals = deno![key] as DenoInternals | undefined;
  const serve = internals?.serveHttpOnConnection;
  // Five parameters in Deno 2.9: another count means another API.
  if (typeof serve !== "function" || serve.length !== 5) return undefined;
  const fdSymbol = internals!.core?.internalFdSymbol;
  return {
    serveHttpOnConnection: serve as ServeHttpOnConnection,
    descriptorOf(conn) {
      if (typeof fdSymbol !== "symbol") return undefined;
      const fd = (conn as unknown as Record<symbol, unknown>)[fdSymbol];
      return typeof fd === "number" ? fd : undefined;
    },
  };
}
