/**
 * Bun's way for the master to serve HTTP itself (the admin endpoint): `Bun.serve`, TCP or a unix socket.
 *
 * @module
 */

import { formatAddress } from "../../src/core/config.ts";
import { isUnixAddress, type SocketAddress } from "../../src/core/protocol.ts";
import type { MasterFetch, MasterHttpServer } from "../../src/core/runtime.ts";

/** The slice of `Bun.serve` used here: no port sharing, unlike the workers' servers. */
declare const Bun: {
  serve(options: {
    hostname?: string;
    port?: number;
    unix?: string;
    fetch: MasterFetch;
    error(error: unknown): Response;
  }): { port?: number; stop(closeActiveConnections?: boolean): Promise<void> };
};

/** Listens at `address` and answers with `fetch`. */
export function serveHttpBun(address: SocketAddress, fetch: MasterFetch): Promise<MasterHttpServer> {
  try {
    const where = isUnixAddress(address) ? { unix: address.path } : { hostname: address.host, port: address.port };
    const server = Bun.serve({ ...where, fetch, error: () => new Response("Internal Server Error", { status: 500 }) });
    return Promise.resolve({
      port: isUnixAddress(address) ? undefined : server.port,
      close: () => server.stop(true),
    });
  } catch (error) {
    return Promise.reject(new Error(`Cannot serve the admin endpoint at ${formatAddress(address)}: ${(error as Error).message}`, { cause: error }));
  }
}
