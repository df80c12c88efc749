/**
 * Starting the admin endpoint for `mgr serve`: where it may listen (loopback or a unix socket, unless
 * a token guards it), and serving {@linkcode createAdminApp} through the runtime's own server.
 *
 * @module
 */

import { lstatSync, unlinkSync } from "node:fs";
import { type Config, formatAddress, isLoopbackAddress, parseBind } from "../core/config.ts";
import { errorMessage } from "../core/error-text.ts";
import type { Logger } from "../core/logger.ts";
import { isFdAddress, isUnixAddress, type SocketAddress } from "../core/protocol.ts";
import type { Runtime } from "../core/runtime.ts";
import { type AdminAppOptions, createAdminApp } from "./admin-app.ts";
import { isListening } from "./control-socket.ts";
import { UsageError } from "./usage-error.ts";

/**
 * The address of the admin endpoint `config` asks for, or null for none.
 *
 * @throws {UsageError} when it is off loopback without a token: anyone who reaches the port could
 * read the pool and, with the dashboard's buttons, reload it.
 */
export function adminAddress(config: Pick<Config, "adminBind" | "adminToken">): SocketAddress | null {
  if (config.adminBind === null) return null;
  const address = parseBind(config.adminBind, "adminBind");
  if (isFdAddress(address)) {
    throw new UsageError(`the admin endpoint cannot serve ${formatAddress(address)}: bind it to HOST:PORT or unix:PATH with --admin-bind`);
  }
  if (!isLoopbackAddress(address) && config.adminToken === null) {
    throw new UsageError(
      `refusing to serve the admin endpoint on ${formatAddress(address)} without a token: set --admin-token ` +
        "(or $MGR_ADMIN_TOKEN), or bind it to 127.0.0.1 or unix:PATH",
    );
  }
  return address;
}

/**
 * Serves the admin endpoint at `address` from the master. Resolves with the function that closes it.
 *
 * @throws {Error} when the runtime cannot serve from the master, or the address cannot be listened on.
 */
export async function startAdminServer(
  runtime: Runtime,
  address: SocketAddress,
  options: Omit<AdminAppOptions, "log">,
  log: Logger,
): Promise<() => Promise<void>> {
  if (!runtime.serveHttp) throw new Error(`mgr cannot serve the admin endpoint on ${runtime.name}`);
  if (isUnixAddress(address)) await removeStaleSocket(address.path);
  const app = createAdminApp({ ...options, log });
  const server = await runtime.serveHttp(address, (request) => app.fetch(request));
  const shown = server.port !== undefined && !("path" in address) ? formatAddress({ ...address, port: server.port }) : formatAddress(address);
  log.info(`Admin endpoint at ${shown.startsWith("unix:") ? shown : `http://${shown}`}${options.token ? " (bearer token required)" : ""}`);
  return async () => {
    try {
      await server.close();
    } catch (error) {
      log.debug(`Admin endpoint close: ${errorMessage(error)}`);
    }
  };
}

/** How often a new master tries the old one's admin address during a USR2 upgrade. */
const TAKE_OVER_RETRY_MS = 500;

/**
 * Starts the admin endpoint with `start` as soon as its address is free: during a USR2 upgrade the
 * old master holds it until it exits. Returns the function that stops trying, or closes the endpoint.
 */
export function takeOverAdminServer(start: () => Promise<() => Promise<void>>, runtime: Runtime, log: Logger): () => Promise<void> {
  let stopped = false;
  let close: (() => Promise<void>) | undefined;
  let timer: unknown;
  let said = false;
  const attempt = () => {
    start().then(
      (stop) => {
        if (stopped) return void stop();
        close = stop;
      },
      (error) => {
        if (stopped) return;
        // Only the old master's hold passes with time; anything else would be retried in silence.
        if (!isAddressInUse(error)) return log.error(errorMessage(error));
        if (!said) log.info(`Admin endpoint: waiting for the old master to release it (${errorMessage(error)})`);
        said = true;
        timer = runtime.clock.setTimeout(attempt, TAKE_OVER_RETRY_MS);
      },
    );
  };
  attempt();
  return async () => {
    stopped = true;
    runtime.clock.clearTimeout(timer);
    await close?.();
  };
}

/** Whether a listen failed because the address is taken: the runtimes' errors say so in `code`, the runtime's server in their cause. */
function isAddressInUse(error: unknown): boolean {
  for (let cause = error, depth = 0; typeof cause === "object" && cause !== null && depth < 3; depth++) {
    if ((cause as { code?: unknown }).code === "EADDRINUSE") return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

/** Removes a socket a killed master left at `path`, so its successor can listen there; leaves anything else. */
async function removeStaleSocket(path: string): Promise<void> {
  let isSocket = false;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // nothing there
  }
  if (isSocket && !(await isListening(path))) unlinkSync(path);
}
