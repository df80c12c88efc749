/**
 * Picking a free TCP port on the loopback address.
 *
 * @module
 */

import { createServer } from "node:net";

/**
 * Resolves with a port that was free on 127.0.0.1 a moment ago: the kernel picks it for a listener
 * on port 0, which is closed again at once. Another process could take it in between; on this
 * machine that race is remote, and the server then fails to start with a clear error.
 */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("Cannot find a free port: no address"))));
    });
  });
}
