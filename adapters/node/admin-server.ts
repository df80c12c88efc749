/**
 * Node's way for the master to serve HTTP itself (the admin endpoint): @hono/node-server on a plain
 * `http` server, TCP or a unix socket.
 *
 * @module
 */

import { createAdaptorServer } from "@hono/node-server";
import type { Server } from "node:http";
import { formatAddress } from "../../src/core/config.ts";
import { isUnixAddress, type SocketAddress } from "../../src/core/protocol.ts";
import type { MasterFetch, MasterHttpServer } from "../../src/core/runtime.ts";

/** Listens at `address` and answers with `fetch`. */
export function serveHttpNode(address: SocketAddress, fetch: MasterFetch): Promise<MasterHttpServer> {
  // The master's own Request and Response stay the runtime's: nothing else in it expects Hono's.
  const server = createAdaptorServer({ fetch, overrideGlobalObjects: false }) as Server;
  return new Promise((resolve, reject) => {
    server.once("error", (error) => reject(new Error(`Cannot serve the admin endpoint at ${formatAddress(address)}: ${error.message}`, { cause: error })));
    const listening = () => {
      const bound = server.address();
      resolve({
        port: typeof bound === "object" && bound !== null ? bound.port : undefined,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    };
    if (isUnixAddress(address)) server.listen(address.path, listening);
    else server.listen(address.port, address.host, listening);
  });
}
