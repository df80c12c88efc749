/**
 * A bind check before any worker is spawned, so a taken port is one clear line at start.
 *
 * @module
 */

import { isUnixAddress, type ListenAddress } from "../../src/core/protocol.ts";
import { ListenError, UNIX_SOCKETS_UNSUPPORTED } from "../../src/runtime/worker-host.ts";
import { Deno } from "./deno-api.ts";

/**
 * Listens on `address` and closes again; rejects with a {@linkcode ListenError} that names the address
 * and says what to do.
 *
 * The probe listens without SO_REUSEPORT on purpose: Linux then refuses the port when anyone holds it,
 * including listeners that share it with SO_REUSEPORT (another mgr's workers, say), which the workers'
 * own `reusePort` listen would silently join.
 */
export function checkListen(address: ListenAddress): Promise<void> {
  if (isUnixAddress(address)) return Promise.reject(new ListenError(address, UNIX_SOCKETS_UNSUPPORTED));
  try {
    Deno.listen({ hostname: address.host, port: address.port }).close();
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(new ListenError(address, describeListenError(error)));
  }
}

/**
 * Turns a listen error into advice, in the same words as the Node adapter. Deno's errors
 * (`Deno.errors.AddrInUse`, …) carry the errno name in `code`, as Node's do.
 */
export function describeListenError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case "EADDRINUSE":
      return "address already in use. Stop the process using it, or choose another address with --bind";
    case "EACCES":
      return "permission denied. Ports below 1024 need privileges; choose a port >= 1024 with --bind";
    case "EADDRNOTAVAIL":
      return "address not available on this machine. Check the host part of --bind";
  }
  // A host name that does not resolve has no errno, only this message.
  if (message.startsWith("failed to lookup address information")) {
    return "host name not found. Check the host part of --bind";
  }
  return message;
}
