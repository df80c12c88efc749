/**
 * A bind check before any worker is spawned, so a taken port is one clear line at start.
 *
 * @module
 */

import { createServer } from "node:net";
import type { ListenAddress } from "../../src/core/protocol.ts";
import { ListenError } from "../../src/runtime/worker-host.ts";

/**
 * Listens on `address` exclusively and closes again; rejects with a {@linkcode ListenError} that
 * names the address and says what to do.
 */
export function checkListen(address: ListenAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => reject(new ListenError(address, describeListenError(error))));
    server.listen({ host: address.host, port: address.port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** Turns a listen errno into advice. */
export function describeListenError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case "EADDRINUSE":
      return "address already in use. Stop the process using it, or choose another address with --bind";
    case "EACCES":
      return "permission denied. Ports below 1024 need privileges; choose a port >= 1024 with --bind";
    case "EADDRNOTAVAIL":
      return "address not available on this machine. Check the host part of --bind";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host name not found. Check the host part of --bind";
    default:
      return error.message;
  }
}
