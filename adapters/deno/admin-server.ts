/**
 * Deno's way for the master to serve HTTP itself (the admin endpoint): `Deno.serve`, TCP or a unix socket.
 *
 * @module
 */

import { formatAddress } from "../../src/core/config.ts";
import { isUnixAddress, type SocketAddress } from "../../src/core/protocol.ts";
import type { MasterFetch, MasterHttpServer } from "../../src/core/runtime.ts";

/** The slice of `Deno.serve` used here: TCP or a unix socket, no port sharing. */
interface DenoServe {
  serve(
    options: ({ hostname: string; port: number } | { path: string; transport: "unix" }) & {
      handler: MasterFetch;
      onListen(address: { port?: number }): void;
      onError(error: unknown): Response;
    },
  ): { shutdown(): Promise<void>; addr?: { port?: number } };
}

const Deno = (globalThis as unknown as { Deno: DenoServe }).Deno;

/** Listens at `address` and answers with `fetch`. */
export function serveHttpDeno(address: SocketAddress, fetch: MasterFetch): Promise<MasterHttpServer> {
  try {
    let port: number | undefined;
    const where = isUnixAddress(address) ? { path: address.path, transport: "unix" as const } : { hostname: address.host, port: address.port };
    const server = Deno.serve({
      ...where,
      handler: fetch,
      // Deno prints a line per server otherwise; the master logs its own.
      onListen: (bound) => (port = bound.port),
      onError: () => new Response("Internal Server Error", { status: 500 }),
    });
    return Promise.resolve({
      port: isUnixAddress(address) ? undefined : port ?? server.addr?.port,
      close: () => server.shutdown(),
    });
  } catch (error) {
    return Promise.reject(new Error(`Cannot serve the admin endpoint at ${formatAddress(address)}: ${(error as Error).message}`, { cause: error }));
  }
}
