/**
 * A bind check before any worker is spawned, so a taken port is one clear line at start.
 *
 * @module
 */

import { isFdAddress, isUnixAddress, type ListenAddress } from "../../src/core/protocol.ts";
import { INHERITED_SOCKETS_UNSUPPORTED, ListenError, UNIX_SOCKETS_UNSUPPORTED } from "../../src/runtime/worker-host.ts";
import { describeListenError } from "../../src/runtime/check-listen.ts";
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
  if (isFdAddress(address)) return Promise.reject(new ListenError(address, INHERITED_SOCKETS_UNSUPPORTED));
  try {
    Deno.listen({ hostname: address.host, port: address.port }).close();
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(new ListenError(address, describeListenError(error)));
  }
}
