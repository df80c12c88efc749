/**
 * A bind check before any worker is spawned, so a taken address is one clear line at start. Written
 * with node:net, which Node and Bun share; an exclusive listen also fails on a port that other
 * processes hold with SO_REUSEPORT (measured on Node 20 and Bun 1.4.5), which keeps two masters apart.
 *
 * @module
 */

import { existsSync, fstatSync, unlinkSync } from "node:fs";
import { connect, createServer } from "node:net";
import { type FdAddress, isFdAddress, isUnixAddress, type ListenAddress, type UnixAddress } from "../core/protocol.ts";
import { ListenError } from "./worker-host.ts";
import { errorMessage } from "../core/error-text.ts";

/**
 * Listens on `address` exclusively and closes again; rejects with a {@linkcode ListenError} that
 * names the address and says what to do. A unix socket file that nothing listens on (left by a master
 * that was killed) is removed, as Gunicorn does.
 */
export async function checkListen(address: ListenAddress): Promise<void> {
  if (isFdAddress(address)) return checkInheritedSocket(address);
  if (isUnixAddress(address)) await removeStaleSocket(address);
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => reject(new ListenError(address, describeListenError(error))));
    const options = isUnixAddress(address)
      ? { path: address.path }
      : { host: address.host, port: address.port, exclusive: true };
    // Closing a unix socket server removes its file, so the workers' listen finds the path free.
    server.listen(options, () => server.close(() => resolve()));
  });
}

/** An inherited socket (`fd://3`) must be open, and a socket: a wrong number is one clear line at start. */
function checkInheritedSocket(address: FdAddress): Promise<void> {
  let socket = false;
  try {
    socket = fstatSync(address.fd).isSocket();
  } catch {
    return Promise.reject(new ListenError(address, "no such file descriptor: this process was not handed that socket (check the unit's .socket file, or the fd:// number)"));
  }
  if (!socket) return Promise.reject(new ListenError(address, "that file descriptor is not a socket; check the fd:// number"));
  return Promise.resolve();
}

async function removeStaleSocket(address: UnixAddress): Promise<void> {
  if (!existsSync(address.path)) return;
  const live = await new Promise<boolean>((resolve) => {
    const socket = connect(address.path);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
  if (live) throw new ListenError(address, describeListenError({ code: "EADDRINUSE" } as NodeJS.ErrnoException));
  try {
    unlinkSync(address.path);
  } catch {
    // Not ours to remove: the listen below reports it.
  }
}

/**
 * Turns a listen error into advice. Node's, Bun's and Deno's errors (`Deno.errors.AddrInUse`, …) all
 * carry the errno name in `code`.
 */
export function describeListenError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = errorMessage(error);
  switch (code) {
    case "EADDRINUSE":
      return "address already in use. Stop the process using it, or choose another address with --bind";
    case "EACCES":
      return "permission denied. Ports below 1024 need privileges; choose a port >= 1024 with --bind";
    case "EADDRNOTAVAIL":
      return "address not available on this machine. Check the host part of --bind";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host name not found. Check the host part of --bind";
  }
  // On Deno a host name that does not resolve has no errno, only this message.
  if (message.startsWith("failed to lookup address information")) {
    return "host name not found. Check the host part of --bind";
  }
  return message;
}
